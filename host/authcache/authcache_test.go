package authcache

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/host/forward"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/plugins/token-auth/tokens"
)

// clock is a settable test clock.
type clock struct{ now atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.now.Load()) }
func (c *clock) Advance(d time.Duration) { c.now.Add(int64(d)) }

// tokenChain is the real token-auth plugin as a host would call it, with
// a count of the calls that reached it.
type tokenChain struct {
	path  string
	auth  *tokens.Auth
	calls atomic.Int64
	down  atomic.Bool
}

func newTokenChain(t *testing.T) *tokenChain {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens.jsonl")
	raw, _ := json.Marshal(map[string]string{"tokens_file": path})
	a, err := tokens.New(t.Context(), raw)
	if err != nil {
		t.Fatalf("tokens.New() error = %v", err)
	}
	return &tokenChain{path: path, auth: a}
}

func (tc *tokenChain) mint(t *testing.T, user string) (string, tokens.Record) {
	t.Helper()
	tok, rec, err := tokens.Mint(tc.path, user, "operator", time.Now())
	if err != nil {
		t.Fatalf("Mint() error = %v", err)
	}
	return tok, rec
}

func (tc *tokenChain) authenticate(ctx context.Context, req *plugin.CheckRequest) (plugin.Principal, error) {
	tc.calls.Add(1)
	if tc.down.Load() {
		return plugin.Principal{}, fmt.Errorf("token-auth: %w", plugin.ErrUnavailable)
	}
	res, err := tc.auth.Check(ctx, req)
	if err != nil {
		return plugin.Principal{}, err
	}
	if res.Outcome != plugin.OutcomeSuccess {
		return plugin.Principal{}, fmt.Errorf("token-auth: %s: %w", res.Reason, plugin.ErrUnauthenticated)
	}
	return res.Principal, nil
}

func bearerRequest(token string) *plugin.CheckRequest {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	return &plugin.CheckRequest{Method: "GET", Path: "/", Header: h}
}

func setup(t *testing.T, o Options) (*tokenChain, *clock, forward.AuthenticateFunc, *Cache) {
	t.Helper()
	tc := newTokenChain(t)
	clk := &clock{}
	clk.now.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	o.Now = clk.Now
	c := New(o)
	return tc, clk, c.Wrap(tc.authenticate), c
}

func TestRevokedTokenRefusedAfterPositiveLifetime(t *testing.T) {
	tc, clk, auth, _ := setup(t, Options{PositiveTTL: time.Minute, NegativeTTL: 10 * time.Second})
	tok, rec := tc.mint(t, "olivia")

	if p, err := auth(t.Context(), bearerRequest(tok)); err != nil || p.UserID != "olivia" {
		t.Fatalf("first check = %+v, %v, want olivia", p, err)
	}
	if _, err := auth(t.Context(), bearerRequest(tok)); err != nil || tc.calls.Load() != 1 {
		t.Fatalf("second check: err %v, plugin calls %d, want a cache hit", err, tc.calls.Load())
	}

	if err := tokens.Revoke(tc.path, rec.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	clk.Advance(59 * time.Second)
	if _, err := auth(t.Context(), bearerRequest(tok)); err != nil {
		t.Fatalf("within the positive lifetime: err %v, want the cached success", err)
	}
	clk.Advance(time.Second)
	_, err := auth(t.Context(), bearerRequest(tok))
	if !forward.IsUnauthenticated(err) {
		t.Fatalf("after the positive lifetime: err %v, want unauthenticated", err)
	}
	if tc.calls.Load() != 2 {
		t.Errorf("plugin calls = %d, want 2", tc.calls.Load())
	}
}

func TestNegativeLifetime(t *testing.T) {
	tc, clk, auth, _ := setup(t, Options{PositiveTTL: time.Minute, NegativeTTL: 10 * time.Second})
	for i := range 3 {
		if _, err := auth(t.Context(), bearerRequest("ght_wrong")); !forward.IsUnauthenticated(err) {
			t.Fatalf("check %d of a wrong token: err %v, want unauthenticated", i, err)
		}
	}
	if tc.calls.Load() != 1 {
		t.Fatalf("plugin calls = %d, want 1 (refusal cached)", tc.calls.Load())
	}
	clk.Advance(10 * time.Second)
	_, _ = auth(t.Context(), bearerRequest("ght_wrong"))
	if tc.calls.Load() != 2 {
		t.Errorf("after the negative lifetime: plugin calls = %d, want 2", tc.calls.Load())
	}
}

func TestUnavailableNotCached(t *testing.T) {
	tc, _, auth, _ := setup(t, Options{PositiveTTL: time.Minute, NegativeTTL: time.Minute})
	tok, _ := tc.mint(t, "olivia")
	tc.down.Store(true)
	if _, err := auth(t.Context(), bearerRequest(tok)); err == nil || forward.IsUnauthenticated(err) {
		t.Fatalf("check while down: err %v, want unavailable", err)
	}
	tc.down.Store(false)
	if _, err := auth(t.Context(), bearerRequest(tok)); err != nil {
		t.Fatalf("check after recovery: err %v, want success", err)
	}
}

func TestNoCredentialBypasses(t *testing.T) {
	tc, _, auth, c := setup(t, Options{PositiveTTL: time.Minute, NegativeTTL: time.Minute})
	req := &plugin.CheckRequest{Header: http.Header{}}
	_, _ = auth(t.Context(), req)
	_, _ = auth(t.Context(), req)
	if tc.calls.Load() != 2 || c.Len() != 0 {
		t.Errorf("anonymous requests: plugin calls %d, entries %d, want 2 and 0", tc.calls.Load(), c.Len())
	}
}

func TestForgetSession(t *testing.T) {
	clk := &clock{}
	sessions := map[string]plugin.Principal{SessionKey("ghs_live"): {UserID: "olivia"}}
	next := func(_ context.Context, req *plugin.CheckRequest) (plugin.Principal, error) {
		ck, err := (&http.Request{Header: req.Header}).Cookie("gh_session")
		if err != nil {
			return plugin.Principal{}, plugin.ErrUnauthenticated
		}
		p, ok := sessions[SessionKey(ck.Value)]
		if !ok {
			return plugin.Principal{}, plugin.ErrUnauthenticated
		}
		return p, nil
	}
	c := New(Options{PositiveTTL: time.Hour, CookieName: "gh_session", Now: clk.Now})
	auth := c.Wrap(next)
	req := &plugin.CheckRequest{Header: http.Header{"Cookie": {"gh_session=ghs_live"}}}

	if _, err := auth(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	delete(sessions, SessionKey("ghs_live")) // logout
	if n := c.Forget(SessionKey("ghs_live")); n != 1 {
		t.Errorf("Forget() = %d, want 1", n)
	}
	if _, err := auth(t.Context(), req); !forward.IsUnauthenticated(err) {
		t.Errorf("after logout: err %v, want unauthenticated", err)
	}
}

func TestBounded(t *testing.T) {
	tc, _, auth, c := setup(t, Options{NegativeTTL: time.Minute, MaxEntries: 3})
	for i := range 10 {
		_, _ = auth(t.Context(), bearerRequest(fmt.Sprintf("ght_wrong%d", i)))
	}
	if c.Len() != 3 {
		t.Errorf("Len() = %d, want 3", c.Len())
	}
	// The most recent entry survived, the first was evicted.
	before := tc.calls.Load()
	_, _ = auth(t.Context(), bearerRequest("ght_wrong9"))
	_, _ = auth(t.Context(), bearerRequest("ght_wrong0"))
	if got := tc.calls.Load() - before; got != 1 {
		t.Errorf("plugin calls for newest and oldest = %d, want 1", got)
	}
}

func TestKeyHoldsNoCredential(t *testing.T) {
	c := New(Options{PositiveTTL: time.Minute, CookieName: "s"})
	h := http.Header{"Authorization": {"Bearer ght_secret"}, "Cookie": {"s=ghs_secret"}}
	key, sessions, ok := c.keyOf(h)
	if !ok {
		t.Fatal("keyOf() ok = false, want true")
	}
	for _, s := range append(sessions, key) {
		if strings.Contains(s, "secret") {
			t.Errorf("key material %q contains the credential", s)
		}
	}
	if len(sessions) != 2 {
		t.Errorf("session keys = %d, want 2", len(sessions))
	}
}

func TestOffUnlessConfigured(t *testing.T) {
	c := New(Options{MaxEntries: 5})
	if c != nil {
		t.Fatal("New(no lifetimes) != nil, want no cache")
	}
	calls := 0
	next := func(context.Context, *plugin.CheckRequest) (plugin.Principal, error) {
		calls++
		return plugin.Principal{}, nil
	}
	auth := c.Wrap(next)
	_, _ = auth(t.Context(), bearerRequest("x"))
	_, _ = auth(t.Context(), bearerRequest("x"))
	if calls != 2 {
		t.Errorf("calls through a nil cache = %d, want 2", calls)
	}
}
