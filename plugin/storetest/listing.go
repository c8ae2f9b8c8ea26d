package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/google/go-cmp/cmp"
)

// pairedCount is how many pairings the paging check creates: more than
// two default pages, so the default limit is exercised too.
const pairedCount = 1200

func testListPaired(t *testing.T, f Factory) {
	_, s := fresh(t, f, defaults)
	if got := walkPaired(t, s.Pairing, 0); len(got) != 0 {
		t.Fatalf("ListPaired() on an empty store = %d channels, want 0", len(got))
	}
	types := []string{"chat", "mail", "web"}
	want := map[string]bool{}
	for i := range pairedCount {
		typ, id := types[i%len(types)], fmt.Sprintf("ch-%05d", i)
		pair(t, s.Pairing, typ, id, "op")
		want[typ+"/"+id] = true
	}

	small := walkPaired(t, s.Pairing, 7)
	seen := map[string]int{}
	for _, pc := range small {
		seen[pc.ChannelType+"/"+pc.ChannelID]++
	}
	for key := range want {
		if seen[key] != 1 {
			t.Errorf("ListPaired(limit 7) lists %s %d times, want once", key, seen[key])
		}
	}
	if len(small) != pairedCount {
		t.Errorf("ListPaired(limit 7) = %d channels, want %d", len(small), pairedCount)
	}

	keys := func(pcs []plugin.PairedChannel) []string {
		out := make([]string, len(pcs))
		for i, pc := range pcs {
			out[i] = pc.ChannelType + "/" + pc.ChannelID
		}
		return out
	}
	for _, limit := range []int{7, 0, plugin.MaxPageLimit} {
		if diff := cmp.Diff(keys(small), keys(walkPaired(t, s.Pairing, limit))); diff != "" {
			t.Errorf("ListPaired(limit %d) order differs from the first walk (-first +again):\n%s", limit, diff)
		}
	}
}

func testListPairedBadCursor(t *testing.T, f Factory) {
	_, s := fresh(t, f, defaults)
	for _, c := range []string{"%%%", "not a cursor", "Z2FyYmFnZQ", "e30", string(make([]byte, 5000))} {
		_, _, err := s.Pairing.ListPaired(t.Context(), plugin.Page{Cursor: c})
		wantErr(t, fmt.Sprintf("ListPaired(cursor %.20q)", c), err, plugin.ErrInvalid)
		_, _, err = s.Pairing.ListAudit(t.Context(), plugin.Page{Cursor: c})
		wantErr(t, fmt.Sprintf("ListAudit(cursor %.20q)", c), err, plugin.ErrInvalid)
	}
}

func testListPending(t *testing.T, f Factory) {
	_, s := fresh(t, f, defaults)
	if got := pending(t, s.Pairing, ""); len(got) != 0 {
		t.Fatalf("ListPending() on an empty store = %v, want none", codesOf(got))
	}
	reqs := []plugin.CodeRequest{
		{ChannelType: "chat", ChannelID: "1", UserName: "A"},
		{ChannelType: "mail", ChannelID: "2", UserName: "B"},
		{ChannelType: "chat", UserName: "C"},
		{ChannelType: "chat", ChannelID: "4", UserName: "D"},
	}
	var made []plugin.PendingRequest
	for _, req := range reqs {
		pr, _ := generate(t, s.Pairing, req)
		made = append(made, pr)
		// Distinct creation times, also for stores that keep milliseconds.
		time.Sleep(5 * time.Millisecond)
	}
	approve(t, s.Pairing, plugin.Approval{ChannelType: "chat", Code: made[3].Code})

	want := map[string][]string{
		"":     {made[0].Code, made[1].Code, made[2].Code},
		"chat": {made[0].Code, made[2].Code},
		"mail": {made[1].Code},
		"none": {},
	}
	for typ, codes := range want {
		if diff := cmp.Diff(codes, codesOf(pending(t, s.Pairing, typ))); diff != "" {
			t.Errorf("ListPending(%q) codes (-want +got):\n%s", typ, diff)
		}
	}

	got := pending(t, s.Pairing, "mail")
	if len(got) == 1 {
		g, w := got[0], made[1]
		if g.ChannelID != w.ChannelID || g.UserName != w.UserName || g.ChannelType != w.ChannelType {
			t.Errorf("ListPending(mail) = %+v, want %+v", g, w)
		}
		wantTime(t, "ListPending(mail).CreatedAt", g.CreatedAt, w.CreatedAt, w.CreatedAt)
		wantTime(t, "ListPending(mail).ExpiresAt", g.ExpiresAt, w.ExpiresAt, w.ExpiresAt)
	}
}

func testAudit(t *testing.T, f Factory) {
	_, s := fresh(t, f, defaults)
	before := time.Now()
	pair(t, s.Pairing, "chat", "1", "alice")
	pr, _ := generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "mail", ChannelID: "2"})
	if _, err := s.Pairing.Deny(t.Context(), plugin.Denial{ChannelType: "mail", Code: pr.Code, Actor: "bob"}); err != nil {
		t.Fatalf("Deny(mail 2) = %v, want nil", err)
	}
	if ok, err := s.Pairing.Revoke(t.Context(), plugin.Revocation{ChannelID: "1", ChannelType: "chat", Actor: "carol"}); !ok || err != nil {
		t.Fatalf("Revoke(chat 1) = %v, %v, want true, nil", ok, err)
	}
	after := time.Now()

	want := []plugin.AuditRecord{
		{Action: plugin.ActionApproved, ChannelType: "chat", ChannelID: "1", Actor: "alice"},
		{Action: plugin.ActionDenied, ChannelType: "mail", ChannelID: "2", Actor: "bob"},
		{Action: plugin.ActionRevoked, ChannelType: "chat", ChannelID: "1", Actor: "carol"},
	}
	for _, limit := range []int{0, 1, 2} {
		got := walkAudit(t, s.Pairing, limit)
		ids := make([]int64, len(got))
		for i := range got {
			ids[i] = got[i].ID
			wantTime(t, fmt.Sprintf("ListAudit()[%d].At", i), got[i].At, before, after)
		}
		if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
			t.Errorf("ListAudit(limit %d) IDs = %v, want increasing", limit, ids)
		}
		ignore := cmp.FilterPath(func(p cmp.Path) bool {
			n := p.Last().String()
			return n == ".ID" || n == ".At" || n == ".Detail"
		}, cmp.Ignore())
		if diff := cmp.Diff(want, got, ignore); diff != "" {
			t.Errorf("ListAudit(limit %d) (-want +got):\n%s", limit, diff)
		}
	}
}
