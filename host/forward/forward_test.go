package forward

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/plugin"
)

// testTokens maps bearer tokens to principals for the tests.
var testTokens = map[string]plugin.Principal{
	"ghs_operator": {UserID: "olivia", Role: "operator"},
	"ghs_user":     {UserID: "ulrich", Role: "user"},
}

var testRoles = map[string][]string{
	"operator": {"pairing.read", "events.read"},
	"user":     {},
}

// tokenAuth authenticates "Authorization: Bearer <token>" against
// testTokens, or fails with down when it is not nil.
func tokenAuth(down error) AuthenticateFunc {
	return func(_ context.Context, req *plugin.CheckRequest) (plugin.Principal, error) {
		if down != nil {
			return plugin.Principal{}, down
		}
		tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
		if !ok {
			return plugin.Principal{}, fmt.Errorf("no bearer: %w", plugin.ErrUnauthenticated)
		}
		for known, p := range testTokens {
			if subtle.ConstantTimeCompare([]byte(tok), []byte(known)) == 1 {
				return p, nil
			}
		}
		return plugin.Principal{}, fmt.Errorf("unknown token: %w", plugin.ErrUnauthenticated)
	}
}

func roleScopes(role string) []string { return testRoles[role] }

func newHandler(t *testing.T, o Options) *Handler {
	t.Helper()
	if o.Authenticate == nil {
		o.Authenticate = tokenAuth(nil)
	}
	o.Scopes = roleScopes
	h, err := New(o)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	return h
}

func TestServeHTTP(t *testing.T) {
	rules := []Rule{
		{PathPrefix: "/admin", Scopes: []string{"pairing.read"}},
		{Host: "*.ops.example", Scopes: []string{"events.read"}},
	}
	tests := []struct {
		name       string
		auth       AuthenticateFunc
		path       string
		header     map[string]string
		wantStatus int
		wantUser   string
		wantAuthn  string
	}{
		{"anonymous", nil, "/v1/forward-auth", nil, 401, "", `Basic realm="gh", charset="UTF-8"`},
		{"wrong token", nil, "/v1/forward-auth", map[string]string{"Authorization": "Bearer nope"}, 401, "", `Basic realm="gh", charset="UTF-8"`},
		{"token", nil, "/v1/forward-auth", map[string]string{"Authorization": "Bearer ghs_user", "X-Original-URI": "/public"}, 200, "ulrich", ""},
		{"nginx path needs scope", nil, "/v1/forward-auth", map[string]string{"Authorization": "Bearer ghs_user", "X-Original-URI": "/admin/x"}, 403, "", ""},
		{"dot segments cleaned", nil, "/v1/forward-auth", map[string]string{"Authorization": "Bearer ghs_user", "X-Original-URI": "/public/../admin"}, 403, "", ""},
		{"encoded dot segments cleaned", nil, "/v1/forward-auth", map[string]string{"Authorization": "Bearer ghs_user", "X-Original-URI": "/public/%2e%2e/admin"}, 403, "", ""},
		{"doubled slash cleaned", nil, "/v1/forward-auth", map[string]string{"Authorization": "Bearer ghs_user", "X-Forwarded-Uri": "//admin"}, 403, "", ""},
		{"prefix is segment aware", nil, "/v1/forward-auth", map[string]string{"Authorization": "Bearer ghs_user", "X-Forwarded-Uri": "/administer"}, 200, "ulrich", ""},
		{"operator has scope", nil, "/v1/forward-auth", map[string]string{"Authorization": "Bearer ghs_operator", "X-Forwarded-Uri": "/admin/x"}, 200, "olivia", ""},
		{"traefik host rule", nil, "/v1/forward-auth", map[string]string{"Authorization": "Bearer ghs_user", "X-Forwarded-Host": "a.ops.example", "X-Forwarded-Uri": "/"}, 403, "", ""},
		{"envoy path suffix", nil, "/v1/forward-auth/admin/y", map[string]string{"Authorization": "Bearer ghs_user"}, 403, "", ""},
		{"unknown uri gets strictest", nil, "/v1/forward-auth", map[string]string{"Authorization": "Bearer ghs_user"}, 403, "", ""},
		{"backend down", tokenAuth(plugin.ErrUnavailable), "/v1/forward-auth", map[string]string{"Authorization": "Bearer ghs_user", "X-Original-URI": "/"}, 503, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, Options{Authenticate: tt.auth, Rules: rules, Realm: "gh", Mount: "/v1/forward-auth"})
			req := httptest.NewRequest("GET", tt.path, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tt.wantStatus {
				t.Fatalf("ServeHTTP(%s) status = %d, want %d (body %s)", tt.name, rec.Code, tt.wantStatus, rec.Body)
			}
			if got := rec.Header().Get(DefaultUserHeader); got != tt.wantUser {
				t.Errorf("user header = %q, want %q", got, tt.wantUser)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.wantAuthn {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wantAuthn)
			}
		})
	}
}

func TestIdentityHeaders(t *testing.T) {
	h := newHandler(t, Options{Headers: Headers{User: "Remote-User", Role: "Remote-Role", Scopes: "Remote-Scopes"}})
	req := httptest.NewRequest("GET", "/auth", nil)
	req.Header.Set("Authorization", "Bearer ghs_operator")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	want := map[string]string{
		"Remote-User":   "olivia",
		"Remote-Role":   "operator",
		"Remote-Scopes": "pairing.read events.read",
	}
	for k, v := range want {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if got := rec.Header().Get(DefaultUserHeader); got != "" {
		t.Errorf("default user header = %q, want it unset", got)
	}
}

func TestOriginal(t *testing.T) {
	h := newHandler(t, Options{Mount: "/auth"})
	tests := []struct {
		name              string
		method, target    string
		header            map[string]string
		wantMethod, wantP string
		wantHost          string
		wantKnown         bool
	}{
		{"nginx", "GET", "/auth", map[string]string{"X-Original-Method": "post", "X-Original-URI": "/a/b?c=d"}, "POST", "/a/b", "example.com", true},
		{"traefik", "GET", "/auth", map[string]string{"X-Forwarded-Method": "DELETE", "X-Forwarded-Uri": "/x", "X-Forwarded-Host": "app.test"}, "DELETE", "/x", "app.test", true},
		{"traefik wins", "GET", "/auth", map[string]string{"X-Forwarded-Uri": "/x", "X-Original-URI": "/y"}, "GET", "/x", "example.com", true},
		{"envoy", "PUT", "/auth/p/q", nil, "PUT", "/p/q", "example.com", true},
		{"nothing", "GET", "/auth", nil, "GET", "/", "example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.target, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			got, known, err := h.Original(req)
			if err != nil {
				t.Fatalf("Original() error = %v", err)
			}
			if got.Method != tt.wantMethod || got.Path != tt.wantP || got.Host != tt.wantHost || known != tt.wantKnown {
				t.Errorf("Original() = %s %s %s known=%v, want %s %s %s known=%v",
					got.Method, got.Host, got.Path, known, tt.wantMethod, tt.wantHost, tt.wantP, tt.wantKnown)
			}
		})
	}
}

func TestStrip(t *testing.T) {
	hdr := http.Header{}
	hdr.Set("X-Gatehouse-User", "mallory")
	hdr.Set("x-gatehouse-anything", "spoof")
	hdr.Set("Remote-User", "mallory")
	hdr.Set("Accept", "text/plain")
	Headers{User: "Remote-User"}.Strip(hdr)

	for _, k := range []string{"X-Gatehouse-User", "X-Gatehouse-Anything", "Remote-User"} {
		if v := hdr.Get(k); v != "" {
			t.Errorf("after Strip, %s = %q, want it gone", k, v)
		}
	}
	if hdr.Get("Accept") != "text/plain" {
		t.Errorf("Strip removed an unrelated header")
	}
}

func TestNewRejectsBadRealm(t *testing.T) {
	_, err := New(Options{Authenticate: tokenAuth(nil), Scopes: roleScopes, Realm: `a"b`})
	if err == nil {
		t.Fatal(`New(realm a"b) error = nil, want an error`)
	}
}
