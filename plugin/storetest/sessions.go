package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sessionChecks are the rules of session binding.
var sessionChecks = []check{
	{"RoundTrip", testSessionRoundTrip},
	{"Rebind", testRebind},
	{"Delete", testSessionDelete},
	{"KeysIsolate", testKeysIsolate},
	{"Expiry", testSessionExpiry},
}

// key is a session key as the host makes them: a hex digest.
func key(n byte) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 64)
	for i := range b {
		b[i] = hex[(int(n)+i)%16]
	}
	return string(b)
}

var (
	ann = plugin.Principal{UserID: "ann", Role: "operator", Metadata: map[string]any{
		"groups": []any{"ops", "dev"},
		"uid":    float64(1001),
		"ratio":  0.5,
		"admin":  true,
		"none":   nil,
		"nested": map[string]any{"team": "core", "ids": []any{float64(1), "two", map[string]any{"deep": false}}},
	}}
	bob = plugin.Principal{UserID: "bob", Role: "channel"}
)

// lookup fails the test unless key is bound to want until about expires.
func lookup(t *testing.T, s plugin.Sessions, key string, want plugin.Principal, expires time.Time) {
	t.Helper()
	got, exp, err := s.Lookup(t.Context(), key)
	if err != nil {
		t.Fatalf("Lookup(%.8s…) = %v, want nil", key, err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Lookup(%.8s…) principal (-want +got):\n%s", key, diff)
	}
	wantTime(t, "Lookup expiry", exp, expires, expires)
}

// bind binds and fails the test on error.
func bind(t *testing.T, s plugin.Sessions, key string, p plugin.Principal, expires time.Time) {
	t.Helper()
	if err := s.Bind(t.Context(), key, p, expires); err != nil {
		t.Fatalf("Bind(%.8s…, %s) = %v, want nil", key, p.UserID, err)
	}
}

// wantGone fails the test unless key looks up as absent.
func wantGone(t *testing.T, s plugin.Sessions, key string) {
	t.Helper()
	_, _, err := s.Lookup(t.Context(), key)
	wantErr(t, "Lookup("+key[:8]+"…)", err, plugin.ErrNotFound)
}

func testSessionRoundTrip(t *testing.T, f Factory) {
	open, s := fresh(t, f, defaults)
	exp := time.Now().Add(time.Hour)
	bind(t, s.Sessions, key(1), ann, exp)
	bind(t, s.Sessions, key(2), bob, exp)
	for _, h := range []Stores{s, open()} {
		lookup(t, h.Sessions, key(1), ann, exp)
		lookup(t, h.Sessions, key(2), bob, exp)
	}
}

func testRebind(t *testing.T, f Factory) {
	_, s := fresh(t, f, defaults)
	bind(t, s.Sessions, key(1), ann, time.Now().Add(time.Hour))
	later := time.Now().Add(2 * time.Hour)
	bind(t, s.Sessions, key(1), bob, later)
	lookup(t, s.Sessions, key(1), bob, later)
}

func testSessionDelete(t *testing.T, f Factory) {
	_, s := fresh(t, f, defaults)
	bind(t, s.Sessions, key(1), ann, time.Now().Add(time.Hour))
	for i, want := range []bool{true, false} {
		got, err := s.Sessions.Delete(t.Context(), key(1))
		if err != nil || got != want {
			t.Errorf("Delete(%.8s…) call %d = %v, %v, want %v, nil", key(1), i+1, got, err, want)
		}
	}
	wantGone(t, s.Sessions, key(1))
	if got, err := s.Sessions.Delete(t.Context(), key(9)); err != nil || got {
		t.Errorf("Delete(never bound) = %v, %v, want false, nil", got, err)
	}
}

func testKeysIsolate(t *testing.T, f Factory) {
	_, s := fresh(t, f, defaults)
	exp := time.Now().Add(time.Hour)
	bind(t, s.Sessions, key(1), ann, exp)
	bind(t, s.Sessions, key(2), bob, exp)
	wantGone(t, s.Sessions, key(3))
	if _, err := s.Sessions.Delete(t.Context(), key(1)); err != nil {
		t.Fatalf("Delete(%.8s…) = %v, want nil", key(1), err)
	}
	wantGone(t, s.Sessions, key(1))
	lookup(t, s.Sessions, key(2), bob, exp)
}

func testSessionExpiry(t *testing.T, f Factory) {
	_, s := fresh(t, f, defaults)
	past, long := time.Now().Add(-time.Minute), time.Now().Add(time.Hour)
	bind(t, s.Sessions, key(1), ann, past)
	wantGone(t, s.Sessions, key(1))
	if got, err := s.Sessions.Delete(t.Context(), key(1)); err != nil || got {
		t.Errorf("Delete(expired) = %v, %v, want false, nil", got, err)
	}

	bind(t, s.Sessions, key(2), ann, time.Now().Add(time.Second))
	bind(t, s.Sessions, key(3), bob, long)
	time.Sleep(time.Second + slack)
	wantGone(t, s.Sessions, key(2))
	lookup(t, s.Sessions, key(3), bob, long)

	// Binding an expired key again makes it live.
	bind(t, s.Sessions, key(2), bob, long)
	lookup(t, s.Sessions, key(2), bob, long)
}
