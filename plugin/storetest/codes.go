package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

// pairingChecks are the rules of the pairing protocol, in the order of the
// package documentation.
var pairingChecks = []check{
	{"CodeFormat", testCodeFormat},
	{"CodeNormalisation", testCodeNormalisation},
	{"Expiry", testExpiry},
	{"ReuseOpenRequest", testReuse},
	{"ReuseRace", testReuseRace},
	{"PendingCap", testPendingCap},
	{"ApproveChecksChannelType", testApproveChannelType},
	{"ApprovePairsIssuedChannel", testApproveIssuedChannel},
	{"ApproveUnboundRequest", testApproveUnbound},
	{"ApproveRace", testApproveRace},
	{"Deny", testDeny},
	{"Revoke", testRevoke},
	{"IsPairedOrderAndTypes", testIsPaired},
	{"ListPairedPages", testListPaired},
	{"ListPairedBadCursor", testListPairedBadCursor},
	{"ListPending", testListPending},
	{"Audit", testAudit},
}

func testCodeFormat(t *testing.T, f Factory) {
	const n = 40
	ttl := 10 * time.Minute
	_, s := fresh(t, f, Options{CodeTTL: ttl, MaxPending: n})
	seen := map[string]bool{}
	for i := range n {
		req := plugin.CodeRequest{ChannelType: "chat", ChannelID: fmt.Sprintf("c%d", i), UserName: "Ann"}
		before := time.Now()
		pr, reused := generate(t, s.Pairing, req)
		after := time.Now()

		if len(pr.Code) != plugin.CodeLength || strings.Trim(pr.Code, plugin.CodeAlphabet) != "" {
			t.Errorf("GenerateCode(%+v).Code = %q, want %d characters of %s",
				req, pr.Code, plugin.CodeLength, plugin.CodeAlphabet)
		}
		if seen[pr.Code] {
			t.Errorf("GenerateCode(%+v).Code = %q, want a code no open request has", req, pr.Code)
		}
		seen[pr.Code] = true
		got := plugin.CodeRequest{ChannelType: pr.ChannelType, ChannelID: pr.ChannelID, UserName: pr.UserName}
		if reused || got != req {
			t.Errorf("GenerateCode(%+v) = %+v, reused %v, want the request echoed, reused false", req, got, reused)
		}
		wantTime(t, "CreatedAt", pr.CreatedAt, before, after)
		wantTime(t, "ExpiresAt", pr.ExpiresAt, pr.CreatedAt.Add(ttl), pr.CreatedAt.Add(ttl))
	}
}

func testCodeNormalisation(t *testing.T, f Factory) {
	_, s := fresh(t, f, Options{CodeTTL: time.Hour, MaxPending: 20})
	for _, name := range spellingNames {
		t.Run(name, func(t *testing.T) {
			id := "norm-" + strings.ReplaceAll(name, " ", "-")
			pr, _ := generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "chat", ChannelID: id})
			typed := spellings(pr.Code)[name]
			a := plugin.Approval{ChannelType: "chat", Code: typed, Actor: "op"}
			if _, err := s.Pairing.Approve(t.Context(), a); err != nil {
				t.Fatalf("Approve(code %q typed as %q) = %v, want nil", pr.Code, typed, err)
			}
			wantPaired(t, s.Pairing, id, "chat", true)
		})
	}

	pr, _ := generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "chat", ChannelID: "deny-me"})
	typed := spellings(pr.Code)["spaces"]
	if _, err := s.Pairing.Deny(t.Context(), plugin.Denial{ChannelType: "chat", Code: typed}); err != nil {
		t.Errorf("Deny(code %q typed as %q) = %v, want nil", pr.Code, typed, err)
	}

	malformed := []string{"", "ABC", "ABCDEFGHJ", "ABCDEFG0", "ABCDEFGO", "ABCDEFG1", "ABCDEFGI", "ABCD_EFG", "ABCDÉFGH"}
	for _, code := range malformed {
		_, err := s.Pairing.Approve(t.Context(), plugin.Approval{ChannelType: "chat", Code: code})
		wantErr(t, fmt.Sprintf("Approve(code %q)", code), err, plugin.ErrInvalid)
		_, err = s.Pairing.Deny(t.Context(), plugin.Denial{ChannelType: "chat", Code: code})
		wantErr(t, fmt.Sprintf("Deny(code %q)", code), err, plugin.ErrInvalid)
	}
	_, err := s.Pairing.Approve(t.Context(), plugin.Approval{ChannelType: "chat", Code: "ZZZZ2222"})
	wantErr(t, `Approve(unknown code "ZZZZ2222")`, err, plugin.ErrNotFound)
}

func testExpiry(t *testing.T, f Factory) {
	ttl := time.Second
	_, s := fresh(t, f, Options{CodeTTL: ttl, MaxPending: 2})
	a, _ := generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "chat", ChannelID: "a"})
	b, _ := generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "chat", ChannelID: "b"})

	time.Sleep(ttl + slack)

	_, err := s.Pairing.Approve(t.Context(), plugin.Approval{ChannelType: "chat", Code: a.Code})
	wantErr(t, "Approve(expired code)", err, plugin.ErrNotFound)
	_, err = s.Pairing.Deny(t.Context(), plugin.Denial{ChannelType: "chat", Code: b.Code})
	wantErr(t, "Deny(expired code)", err, plugin.ErrNotFound)
	wantPaired(t, s.Pairing, "a", "chat", false)
	for _, typ := range []string{"", "chat"} {
		if got := pending(t, s.Pairing, typ); len(got) != 0 {
			t.Errorf("ListPending(%q) = %v, want no expired request", typ, codesOf(got))
		}
	}

	again, reused := generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "chat", ChannelID: "a"})
	if reused || again.Code == a.Code {
		t.Errorf("GenerateCode(a after expiry) = %q, reused %v, want a new code, reused false", again.Code, reused)
	}
	// The expired requests no longer count against the cap of 2.
	generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "chat", ChannelID: "c"})
}

func testReuse(t *testing.T, f Factory) {
	open, s := fresh(t, f, defaults)
	req := plugin.CodeRequest{ChannelType: "chat", ChannelID: "room-1", UserName: "Ann"}
	first, reused := generate(t, s.Pairing, req)
	if reused {
		t.Errorf("GenerateCode(%+v).reused = true, want false for the first request", req)
	}
	for i, h := range []Stores{s, open()} {
		again, reused := generate(t, h.Pairing, req)
		if !reused || again.Code != first.Code {
			t.Errorf("GenerateCode(%+v) on handle %d = %q, reused %v, want %q, reused true",
				req, i, again.Code, reused, first.Code)
		}
	}

	other, _ := generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "mail", ChannelID: "room-1"})
	if other.Code == first.Code {
		t.Errorf("GenerateCode(mail, room-1) = %q, want a code other than chat's", other.Code)
	}
	u1, r1 := generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "web"})
	u2, r2 := generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "web"})
	if r1 || r2 || u1.Code == u2.Code {
		t.Errorf("GenerateCode(web, no id) twice = %q %v, %q %v, want two new codes", u1.Code, r1, u2.Code, r2)
	}
}

func testReuseRace(t *testing.T, f Factory) {
	open := f(t, defaults)
	const racers = 12
	handles := openHandles(open, 4)
	req := plugin.CodeRequest{ChannelType: "chat", ChannelID: "racy"}
	codes := make([]string, racers)
	isNew := make([]bool, racers)
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			pr, reused, err := handles[i%len(handles)].Pairing.GenerateCode(t.Context(), req)
			codes[i], isNew[i], errs[i] = pr.Code, !reused, err
		})
	}
	wg.Wait()

	newCount := 0
	for i := range racers {
		if errs[i] != nil {
			t.Fatalf("GenerateCode(%+v) racer %d = %v, want nil", req, i, errs[i])
		}
		if codes[i] != codes[0] {
			t.Errorf("GenerateCode(%+v) racer %d = %q, want %q like racer 0", req, i, codes[i], codes[0])
		}
		if isNew[i] {
			newCount++
		}
	}
	if newCount != 1 {
		t.Errorf("GenerateCode(%+v) by %d racers: %d new requests, want 1", req, racers, newCount)
	}
}

func testPendingCap(t *testing.T, f Factory) {
	_, s := fresh(t, f, Options{CodeTTL: time.Hour, MaxPending: 3})
	var first plugin.PendingRequest
	for i := range 3 {
		pr, _ := generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "chat", ChannelID: fmt.Sprint(i)})
		if i == 0 {
			first = pr
		}
	}
	_, _, err := s.Pairing.GenerateCode(t.Context(), plugin.CodeRequest{ChannelType: "chat", ChannelID: "3"})
	wantErr(t, "GenerateCode(4th chat request, cap 3)", err, plugin.ErrTooManyPending)
	_, _, err = s.Pairing.GenerateCode(t.Context(), plugin.CodeRequest{ChannelType: "chat"})
	wantErr(t, "GenerateCode(chat without id, cap 3)", err, plugin.ErrTooManyPending)

	again, reused := generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "chat", ChannelID: "0"})
	if !reused || again.Code != first.Code {
		t.Errorf("GenerateCode(open chat 0 at cap) = %q, %v, want %q, true", again.Code, reused, first.Code)
	}
	generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "mail", ChannelID: "0"})

	// Unbound requests count too.
	for range 3 {
		generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "web"})
	}
	_, _, err = s.Pairing.GenerateCode(t.Context(), plugin.CodeRequest{ChannelType: "web", ChannelID: "x"})
	wantErr(t, "GenerateCode(web after 3 unbound)", err, plugin.ErrTooManyPending)

	// A consumed request frees its slot.
	approve(t, s.Pairing, plugin.Approval{ChannelType: "chat", Code: first.Code})
	generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "chat", ChannelID: "3"})
}

// openHandles opens n handles on one backend.
func openHandles(open func() Stores, n int) []Stores {
	hs := make([]Stores, n)
	for i := range hs {
		hs[i] = open()
	}
	return hs
}
