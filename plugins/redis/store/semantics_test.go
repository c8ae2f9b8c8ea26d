package store

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/plugin/storetest"
)

// semantics checks the pairing and session rules that matter most for a
// shared Redis. It is the focused suite this package ran before the
// shared kit existed; it stays as a fast check of the Redis specifics.
func semantics(t *testing.T, f storetest.Factory) {
	t.Run("GenerateReuseAndCap", func(t *testing.T) { testGenerate(t, f) })
	t.Run("ApproveOnce", func(t *testing.T) { testApproveOnce(t, f) })
	t.Run("TypeCheckAndDeny", func(t *testing.T) { testTypeCheck(t, f) })
	t.Run("Expiry", func(t *testing.T) { testExpiry(t, f) })
	t.Run("ListPairedAndRevoke", func(t *testing.T) { testListRevoke(t, f) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, f) })
}

func testGenerate(t *testing.T, f storetest.Factory) {
	st := f(t, storetest.Options{CodeTTL: time.Hour, MaxPending: 2})()
	ctx := t.Context()
	first, reused, err := st.Pairing.GenerateCode(ctx, plugin.CodeRequest{ChannelType: "tg", ChannelID: "1", UserName: "ann"})
	if err != nil || reused {
		t.Fatalf("GenerateCode(tg/1) = %v, %v, %v", first, reused, err)
	}
	if len(first.Code) != plugin.CodeLength || strings.Trim(first.Code, plugin.CodeAlphabet) != "" {
		t.Errorf("code %q is not %d characters of the alphabet", first.Code, plugin.CodeLength)
	}
	again, reused, err := st.Pairing.GenerateCode(ctx, plugin.CodeRequest{ChannelType: "tg", ChannelID: "1"})
	if err != nil || !reused || again.Code != first.Code {
		t.Errorf("GenerateCode(tg/1) again = %s, %v, %v, want %s, true", again.Code, reused, err, first.Code)
	}
	if _, _, err := st.Pairing.GenerateCode(ctx, plugin.CodeRequest{ChannelType: "tg", ChannelID: "2"}); err != nil {
		t.Fatalf("GenerateCode(tg/2) = %v", err)
	}
	_, _, err = st.Pairing.GenerateCode(ctx, plugin.CodeRequest{ChannelType: "tg", ChannelID: "3"})
	if !errors.Is(err, plugin.ErrTooManyPending) {
		t.Errorf("GenerateCode(tg/3) past the cap = %v, want ErrTooManyPending", err)
	}
	if _, _, err := st.Pairing.GenerateCode(ctx, plugin.CodeRequest{ChannelType: "slack", ChannelID: "3"}); err != nil {
		t.Errorf("GenerateCode(slack/3) = %v; the cap is per type", err)
	}
	pending, err := st.Pairing.ListPending(ctx, "tg")
	if err != nil || len(pending) != 2 || pending[0].Code != first.Code {
		t.Errorf("ListPending(tg) = %v, %v, want 2 requests, oldest %s first", pending, err, first.Code)
	}
}

// testApproveOnce races approvals of one code over several handles.
func testApproveOnce(t *testing.T, f storetest.Factory) {
	open := f(t, storetest.Options{CodeTTL: time.Hour, MaxPending: 5})
	handles := []storetest.Stores{open(), open(), open()}
	pr, _, err := handles[0].Pairing.GenerateCode(t.Context(), plugin.CodeRequest{ChannelType: "tg", ChannelID: "42"})
	if err != nil {
		t.Fatal(err)
	}
	typed := strings.ToLower(pr.Code[:4]) + "-" + pr.Code[4:]

	var wins, notFound atomic.Int32
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			_, err := handles[i%len(handles)].Pairing.Approve(t.Context(), plugin.Approval{
				ChannelType: "tg", Code: typed, UserName: "ann", Actor: "owner",
			})
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, plugin.ErrNotFound):
				notFound.Add(1)
			default:
				t.Errorf("Approve = %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || notFound.Load() != 29 {
		t.Errorf("racing approvals: %d succeeded, %d not found; want 1 and 29", wins.Load(), notFound.Load())
	}
	for i, h := range handles {
		if ok, err := h.Pairing.IsPaired(t.Context(), "42", "tg"); !ok || err != nil {
			t.Errorf("handle %d: IsPaired(42, tg) = %v, %v, want true", i, ok, err)
		}
	}
}

func testTypeCheck(t *testing.T, f storetest.Factory) {
	st := f(t, storetest.Options{CodeTTL: time.Hour, MaxPending: 5})()
	ctx := t.Context()
	pr, _, err := st.Pairing.GenerateCode(ctx, plugin.CodeRequest{ChannelType: "tg", ChannelID: "7", UserName: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pairing.Approve(ctx, plugin.Approval{ChannelType: "slack", Code: pr.Code}); !errors.Is(err, plugin.ErrNotFound) {
		t.Errorf("Approve(other type) = %v, want ErrNotFound", err)
	}
	denied, err := st.Pairing.Deny(ctx, plugin.Denial{ChannelType: "tg", Code: pr.Code, Actor: "owner"})
	if err != nil || denied.ChannelID != "7" {
		t.Errorf("Deny = %v, %v, want the request of channel 7", denied, err)
	}
	if ok, _ := st.Pairing.IsPaired(ctx, "7", "tg"); ok {
		t.Error("IsPaired after Deny = true")
	}
	if _, err := st.Pairing.Approve(ctx, plugin.Approval{ChannelType: "tg", Code: pr.Code}); !errors.Is(err, plugin.ErrNotFound) {
		t.Errorf("Approve after Deny = %v, want ErrNotFound", err)
	}

	// A request without a channel pairs the channel the approval names.
	open, _, err := st.Pairing.GenerateCode(ctx, plugin.CodeRequest{ChannelType: "tg"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pairing.Approve(ctx, plugin.Approval{ChannelType: "tg", Code: open.Code}); !errors.Is(err, plugin.ErrInvalid) {
		t.Errorf("Approve(unbound, no user id) = %v, want ErrInvalid", err)
	}
	c, err := st.Pairing.Approve(ctx, plugin.Approval{ChannelType: "tg", Code: open.Code, UserID: "u9", UserName: "Uma", Actor: "owner"})
	if err != nil || c.ChannelID != "u9" || c.Label != "Uma" || c.ApprovedBy != "owner" {
		t.Errorf("Approve(unbound, u9) = %+v, %v", c, err)
	}

	audit, _, err := st.Pairing.ListAudit(ctx, plugin.Page{})
	if err != nil || len(audit) != 2 || audit[0].Action != plugin.ActionDenied || audit[1].Action != plugin.ActionApproved {
		t.Errorf("ListAudit = %+v, %v, want denied then approved", audit, err)
	}
}

func testExpiry(t *testing.T, f storetest.Factory) {
	st := f(t, storetest.Options{CodeTTL: 300 * time.Millisecond, MaxPending: 1})()
	ctx := t.Context()
	pr, _, err := st.Pairing.GenerateCode(ctx, plugin.CodeRequest{ChannelType: "tg", ChannelID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(pr.ExpiresAt) + 50*time.Millisecond)

	if _, err := st.Pairing.Approve(ctx, plugin.Approval{ChannelType: "tg", Code: pr.Code}); !errors.Is(err, plugin.ErrNotFound) {
		t.Errorf("Approve(expired) = %v, want ErrNotFound", err)
	}
	if pending, err := st.Pairing.ListPending(ctx, ""); err != nil || len(pending) != 0 {
		t.Errorf("ListPending after expiry = %v, %v, want none", pending, err)
	}
	next, reused, err := st.Pairing.GenerateCode(ctx, plugin.CodeRequest{ChannelType: "tg", ChannelID: "1"})
	if err != nil || reused {
		t.Errorf("GenerateCode after expiry = %v, reused %v, want a fresh code within the cap", err, reused)
	}
	_ = next
}

func testListRevoke(t *testing.T, f storetest.Factory) {
	st := f(t, storetest.Options{CodeTTL: time.Hour, MaxPending: 50})()
	ctx := t.Context()
	const n = 7
	for i := range n {
		pr, _, err := st.Pairing.GenerateCode(ctx, plugin.CodeRequest{ChannelType: "t:x", ChannelID: string(rune('a' + i))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Pairing.Approve(ctx, plugin.Approval{ChannelType: "t:x", Code: pr.Code}); err != nil {
			t.Fatal(err)
		}
	}

	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		page, next, err := st.Pairing.ListPaired(ctx, plugin.Page{Cursor: cursor, Limit: 3})
		if err != nil || pages > n {
			t.Fatalf("ListPaired page %d = %v (pages %d)", pages, err, pages)
		}
		for _, c := range page {
			if seen[c.ChannelID] {
				t.Errorf("ListPaired returned %s twice", c.ChannelID)
			}
			seen[c.ChannelID] = true
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != n {
		t.Errorf("ListPaired over all pages saw %d channels, want %d", len(seen), n)
	}

	if ok, err := st.Pairing.Revoke(ctx, plugin.Revocation{ChannelID: "a", ChannelType: "t:x", Actor: "owner"}); !ok || err != nil {
		t.Errorf("Revoke(a) = %v, %v, want true", ok, err)
	}
	if ok, err := st.Pairing.Revoke(ctx, plugin.Revocation{ChannelID: "a", ChannelType: "t:x"}); ok || err != nil {
		t.Errorf("Revoke(a) again = %v, %v, want false", ok, err)
	}
	if ok, _ := st.Pairing.IsPaired(ctx, "a", "t:x"); ok {
		t.Error("IsPaired(a) after Revoke = true")
	}
	// "t" + "x:a" must not alias "t:x" + "a".
	if ok, _ := st.Pairing.IsPaired(ctx, "x:b", "t"); ok {
		t.Error("IsPaired(x:b, t) = true; channel names alias")
	}
}

func testSessions(t *testing.T, f storetest.Factory) {
	open := f(t, storetest.Options{CodeTTL: time.Hour, MaxPending: 3})
	a, b := open(), open()
	ctx := t.Context()
	p := plugin.Principal{UserID: "ann", Role: "operator", Metadata: map[string]any{"groups": []any{"x"}, "n": 2.0}}
	exp := time.Now().Add(time.Hour).Round(0)
	if err := a.Sessions.Bind(ctx, "k1", p, exp); err != nil {
		t.Fatal(err)
	}
	got, gotExp, err := b.Sessions.Lookup(ctx, "k1")
	if err != nil || got.UserID != "ann" || got.Role != "operator" || !gotExp.Equal(exp) {
		t.Errorf("Lookup(k1) on another handle = %+v, %v, %v, want ann until %v", got, gotExp, err, exp)
	}
	if _, _, err := b.Sessions.Lookup(ctx, "k2"); !errors.Is(err, plugin.ErrNotFound) {
		t.Errorf("Lookup(unknown) = %v, want ErrNotFound", err)
	}
	if ok, err := b.Sessions.Delete(ctx, "k1"); !ok || err != nil {
		t.Errorf("Delete(k1) = %v, %v, want true", ok, err)
	}
	if _, _, err := a.Sessions.Lookup(ctx, "k1"); !errors.Is(err, plugin.ErrNotFound) {
		t.Errorf("Lookup after Delete = %v, want ErrNotFound", err)
	}

	short := time.Now().Add(200 * time.Millisecond)
	if err := a.Sessions.Bind(ctx, "k3", p, short); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(short) + 20*time.Millisecond)
	if _, _, err := b.Sessions.Lookup(ctx, "k3"); !errors.Is(err, plugin.ErrNotFound) {
		t.Errorf("Lookup(expired) = %v, want ErrNotFound", err)
	}
}
