package tokens

import (
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/google/go-cmp/cmp"
)

// newAuth builds an Auth from cfg or fails the test.
func newAuth(t *testing.T, cfg Config) *Auth {
	t.Helper()
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(t.Context(), raw)
	if err != nil {
		t.Fatalf("New(%s): %v", raw, err)
	}
	return a
}

// check runs Check with the given header lines ("Name: value").
func check(t *testing.T, a *Auth, lines ...string) plugin.CheckResult {
	t.Helper()
	h := http.Header{}
	for _, l := range lines {
		name, value, _ := strings.Cut(l, ": ")
		h.Add(name, value)
	}
	res, err := a.Check(t.Context(), &plugin.CheckRequest{Method: "GET", Path: "/", Header: h})
	if err != nil {
		t.Fatalf("Check(%q): %v", lines, err)
	}
	return res
}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.jsonl")
	tok, rec := mint(t, path, "alice", "operator")
	revoked, rrec := mint(t, path, "bob", "user")
	if err := Revoke(path, rrec.ID, now); err != nil {
		t.Fatal(err)
	}
	unknown, _ := Generate()
	a := newAuth(t, Config{TokensFile: path})

	alice := plugin.Principal{UserID: "alice", Role: "operator",
		Metadata: map[string]any{"token_id": rec.ID, "auth": "token"}}
	tests := []struct {
		name    string
		headers []string
		want    plugin.Outcome
	}{
		{"valid", []string{"Authorization: Bearer " + tok}, plugin.OutcomeSuccess},
		{"lower-case scheme", []string{"Authorization: bearer " + tok}, plugin.OutcomeSuccess},
		{"no header", nil, plugin.OutcomeNoCredential},
		{"basic", []string{"Authorization: Basic YWxpY2U6c2VjcmV0"}, plugin.OutcomeNoCredential},
		{"other bearer", []string{"Authorization: Bearer eyJhbGciOi.x.y"}, plugin.OutcomeNoCredential},
		{"bare token in Authorization", []string{"Authorization: " + tok}, plugin.OutcomeNoCredential},
		{"token in another header", []string{"X-Token: " + tok}, plugin.OutcomeNoCredential},
		{"basic then bearer", []string{"Authorization: Basic eA==", "Authorization: Bearer " + tok}, plugin.OutcomeSuccess},
		{"unknown", []string{"Authorization: Bearer " + unknown}, plugin.OutcomeFailure},
		{"revoked", []string{"Authorization: Bearer " + revoked}, plugin.OutcomeFailure},
		{"malformed", []string{"Authorization: Bearer ght_short"}, plugin.OutcomeFailure},
		{"two tokens", []string{"Authorization: Bearer " + tok, "Authorization: Bearer " + unknown}, plugin.OutcomeFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := check(t, a, tt.headers...)
			if res.Outcome != tt.want {
				t.Fatalf("Check(%q) outcome = %v (%s), want %v", tt.headers, res.Outcome, res.Reason, tt.want)
			}
			for _, secret := range []string{tok, unknown, revoked, "ght_short"} {
				if strings.Contains(res.Reason, strings.TrimPrefix(secret, Prefix)) {
					t.Errorf("Check reason %q shows the token", res.Reason)
				}
			}
			if tt.want == plugin.OutcomeSuccess {
				if diff := cmp.Diff(alice, res.Principal); diff != "" {
					t.Errorf("Check principal (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestCheckInlineAndCustomHeader(t *testing.T) {
	tok, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	a := newAuth(t, Config{Header: "x-gatehouse-token", Tokens: []InlineToken{
		{SHA256: strings.ToUpper(Hash(tok)), UserID: "adapter", Role: "channel"},
	}})
	for _, v := range []string{tok, "Bearer " + tok} {
		res := check(t, a, "X-Gatehouse-Token: "+v)
		if res.Outcome != plugin.OutcomeSuccess || res.Principal.UserID != "adapter" {
			t.Errorf("Check(%q) = %+v, want adapter", v, res)
		}
		if id := res.Principal.Metadata["token_id"]; id != "inline-"+Hash(tok)[:12] {
			t.Errorf("token_id = %v, want inline- and the hash prefix", id)
		}
	}
	if res := check(t, a, "Authorization: Bearer "+tok); res.Outcome != plugin.OutcomeNoCredential {
		t.Errorf("Check(Authorization) outcome = %v, want no credential", res.Outcome)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct{ name, raw string }{
		{"nothing to check", `{}`},
		{"unknown field", `{"tokens_file":"x","tokenfile":"y"}`},
		{"bad inline hash", `{"token":[{"sha256":"abc","user_id":"u","role":"r"}]}`},
		{"inline without role", `{"token":[{"sha256":"` + strings.Repeat("a", 64) + `","user_id":"u"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(t.Context(), json.RawMessage(tt.raw)); !errors.Is(err, plugin.ErrInvalid) {
				t.Errorf("New(%s) error = %v, want ErrInvalid", tt.raw, err)
			}
		})
	}
}
