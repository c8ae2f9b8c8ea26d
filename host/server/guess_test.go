package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/host/ratelimit"
	"github.com/gatehouse/gatehouse/host/supervisor"
	"github.com/gatehouse/gatehouse/plugin"
)

// passwordAuth admits Basic credentials whose password is "right".
type passwordAuth struct{}

func (passwordAuth) Check(_ context.Context, r *plugin.CheckRequest) (plugin.CheckResult, error) {
	req := http.Request{Header: r.Header}
	user, pass, ok := req.BasicAuth()
	switch {
	case !ok:
		return plugin.CheckResult{Outcome: plugin.OutcomeNoCredential}, nil
	case pass != "right":
		return plugin.CheckResult{Outcome: plugin.OutcomeFailure, Reason: "wrong password"}, nil
	}
	return plugin.CheckResult{Outcome: plugin.OutcomeSuccess,
		Principal: plugin.Principal{UserID: user, Role: "user"}}, nil
}

// TestPasswordGuessingLimitedEverywhere pins that wrong Basic passwords
// spend the login allowance on every endpoint, not only on /v1/login,
// keyed by the user tried, while anonymous requests are never limited.
func TestPasswordGuessingLimitedEverywhere(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.Edge.Limits = ratelimit.New(ratelimit.Config{LoginPerMinute: 1, Burst: 3})
	})
	e.backend.chain = []AuthPlugin{{Name: "password", Auth: passwordAuth{}}}

	basic := func(path, user, pass string) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}

	for i := range 3 {
		if got := basic("/v1/whoami", "alice", "guess").StatusCode; got != http.StatusUnauthorized {
			t.Fatalf("guess %d: GET /v1/whoami = %d, want 401", i+1, got)
		}
	}
	for _, path := range []string{"/v1/whoami", ForwardAuthPath} {
		resp := basic(path, "alice", "guess")
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Errorf("GET %s after 3 guesses = %d (Retry-After %q), want 429 with Retry-After",
				path, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	if got := basic("/v1/whoami", "bob", "right").StatusCode; got != http.StatusOK {
		t.Errorf("GET /v1/whoami as bob = %d, want 200: another user must not be limited", got)
	}
	for i := range 5 {
		if got := basic("/v1/whoami", "", "").StatusCode; got != http.StatusUnauthorized {
			t.Errorf("anonymous request %d = %d, want 401: requests without credentials are not limited", i+1, got)
		}
	}
}

// TestUnavailablePluginMessage pins that a client learns which plugin is
// down, but not the transport's detail, which stays in the host log.
func TestUnavailablePluginMessage(t *testing.T) {
	e := newEnv(t, nil)
	cause := fmt.Errorf("read tcp 127.0.0.1:4242->127.0.0.1:33251: connection reset: %w", plugin.ErrUnavailable)
	e.backend.chain = []AuthPlugin{{Name: "ldap", Auth: stubAuth{
		err: &supervisor.CallError{Key: "auth.ldap", Method: "Check", Err: cause},
	}}}

	resp, raw := e.do("GET", "/v1/whoami", "ght_anything", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(raw), "auth plugin ldap") ||
		strings.Contains(string(raw), "127.0.0.1") {
		t.Errorf("GET /v1/whoami = %d %s, want 503 naming auth plugin ldap without the address", resp.StatusCode, raw)
	}
	if !strings.Contains(e.logs.String(), "127.0.0.1:33251") {
		t.Error("host log lacks the transport detail of the failed call")
	}
}
