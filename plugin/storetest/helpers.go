package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

// slack is the tolerance of time comparisons.
const slack = time.Second

// generate opens a request and fails the test on error.
func generate(t *testing.T, p plugin.Pairing, req plugin.CodeRequest) (plugin.PendingRequest, bool) {
	t.Helper()
	pr, reused, err := p.GenerateCode(t.Context(), req)
	if err != nil {
		t.Fatalf("GenerateCode(%+v) = %v, want nil", req, err)
	}
	return pr, reused
}

// approve approves and fails the test on error.
func approve(t *testing.T, p plugin.Pairing, a plugin.Approval) plugin.PairedChannel {
	t.Helper()
	pc, err := p.Approve(t.Context(), a)
	if err != nil {
		t.Fatalf("Approve(%+v) = %v, want nil", a, err)
	}
	return pc
}

// pair opens a request for a channel and approves it as actor.
func pair(t *testing.T, p plugin.Pairing, channelType, channelID, actor string) plugin.PairedChannel {
	t.Helper()
	pr, _ := generate(t, p, plugin.CodeRequest{ChannelType: channelType, ChannelID: channelID})
	return approve(t, p, plugin.Approval{ChannelType: channelType, Code: pr.Code, Actor: actor})
}

// wantPaired fails the test unless IsPaired(id, typ) is want.
func wantPaired(t *testing.T, p plugin.Pairing, channelID, channelType string, want bool) {
	t.Helper()
	got, err := p.IsPaired(t.Context(), channelID, channelType)
	if err != nil || got != want {
		t.Errorf("IsPaired(%q, %q) = %v, %v, want %v, nil", channelID, channelType, got, err, want)
	}
}

// wantErr fails the test unless err is want; call names the call.
func wantErr(t *testing.T, call string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s = %v, want %v", call, err, want)
	}
}

// wantTime fails the test unless got lies in [lo-slack, hi+slack].
func wantTime(t *testing.T, what string, got, lo, hi time.Time) {
	t.Helper()
	if got.Before(lo.Add(-slack)) || got.After(hi.Add(slack)) {
		t.Errorf("%s = %v, want between %v and %v", what, got, lo, hi)
	}
}

// pending lists the open requests of channelType.
func pending(t *testing.T, p plugin.Pairing, channelType string) []plugin.PendingRequest {
	t.Helper()
	prs, err := p.ListPending(t.Context(), channelType)
	if err != nil {
		t.Fatalf("ListPending(%q) = %v, want nil", channelType, err)
	}
	return prs
}

// codesOf returns the codes of prs.
func codesOf(prs []plugin.PendingRequest) []string {
	out := make([]string, len(prs))
	for i, pr := range prs {
		out[i] = pr.Code
	}
	return out
}

// listsCode reports whether code is among the open requests of channelType.
func listsCode(t *testing.T, p plugin.Pairing, channelType, code string) bool {
	t.Helper()
	for _, c := range codesOf(pending(t, p, channelType)) {
		if c == code {
			return true
		}
	}
	return false
}

// walkPaired lists every pairing page by page with limit.
func walkPaired(t *testing.T, p plugin.Pairing, limit int) []plugin.PairedChannel {
	t.Helper()
	var all []plugin.PairedChannel
	cursor := ""
	for pages := 0; ; pages++ {
		page, next, err := p.ListPaired(t.Context(), plugin.Page{Cursor: cursor, Limit: limit})
		if err != nil {
			t.Fatalf("ListPaired(page %d, limit %d) = %v, want nil", pages, limit, err)
		}
		checkPage(t, "ListPaired", pages, len(page), limit, next, len(all))
		all = append(all, page...)
		if next == "" {
			return all
		}
		cursor = next
	}
}

// walkAudit lists every audit record page by page with limit.
func walkAudit(t *testing.T, p plugin.Pairing, limit int) []plugin.AuditRecord {
	t.Helper()
	var all []plugin.AuditRecord
	cursor := ""
	for pages := 0; ; pages++ {
		page, next, err := p.ListAudit(t.Context(), plugin.Page{Cursor: cursor, Limit: limit})
		if err != nil {
			t.Fatalf("ListAudit(page %d, limit %d) = %v, want nil", pages, limit, err)
		}
		checkPage(t, "ListAudit", pages, len(page), limit, next, len(all))
		all = append(all, page...)
		if next == "" {
			return all
		}
		cursor = next
	}
}

// checkPage enforces the paging rules on one page.
func checkPage(t *testing.T, call string, n, size, limit int, next string, before int) {
	t.Helper()
	if limit > 0 && size > limit {
		t.Fatalf("%s(page %d, limit %d) returned %d items, want at most %d", call, n, limit, size, limit)
	}
	if size == 0 && (n > 0 || next != "") {
		t.Fatalf("%s(page %d) = empty page, next %q after %d items, want the previous page to end the listing",
			call, n, next, before)
	}
	if n > 1_000_000 {
		t.Fatalf("%s: more than a million pages, want the listing to end", call)
	}
}

// spellingNames are the keys of spellings.
var spellingNames = []string{"upper", "lower", "hyphen", "spaces", "mixed", "hyphen spaced"}

// spellings returns ways a person might type code.
func spellings(code string) map[string]string {
	lower := strings.ToLower(code)
	return map[string]string{
		"upper":         code,
		"lower":         lower,
		"hyphen":        code[:4] + "-" + code[4:],
		"spaces":        " " + lower[:4] + " " + lower[4:] + " ",
		"mixed":         strings.Join(strings.Split(lower[:4], ""), "-") + " " + code[4:],
		"hyphen spaced": fmt.Sprintf("%s - %s", lower[:4], code[4:]),
	}
}
