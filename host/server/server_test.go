package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/host/supervisor"
	"github.com/gatehouse/gatehouse/plugin"
)

func TestAuthChain(t *testing.T) {
	noCred := stubAuth{res: plugin.CheckResult{Outcome: plugin.OutcomeNoCredential}}
	refuse := stubAuth{res: plugin.CheckResult{Outcome: plugin.OutcomeFailure, Reason: "no"}}
	admit := stubAuth{res: plugin.CheckResult{Outcome: plugin.OutcomeSuccess,
		Principal: plugin.Principal{UserID: "stub", Role: "operator"}}}
	down := stubAuth{err: fmt.Errorf("call: %w", supervisor.ErrNotReady)}
	broken := stubAuth{err: fmt.Errorf("boom: %w", plugin.ErrInternal)}

	tests := []struct {
		name  string
		chain func(tokens plugin.Auth) []plugin.Auth
		want  int
		user  string
	}{
		{"token accepted", func(tk plugin.Auth) []plugin.Auth { return []plugin.Auth{tk} }, 200, "alice"},
		{"no credential asks the next", func(tk plugin.Auth) []plugin.Auth { return []plugin.Auth{noCred, tk} }, 200, "alice"},
		{"first success wins", func(tk plugin.Auth) []plugin.Auth { return []plugin.Auth{admit, tk} }, 200, "stub"},
		{"failure ends the chain", func(tk plugin.Auth) []plugin.Auth { return []plugin.Auth{refuse, tk} }, 401, ""},
		{"plugin down fails closed", func(tk plugin.Auth) []plugin.Auth { return []plugin.Auth{down, tk} }, 503, ""},
		{"plugin error denies", func(tk plugin.Auth) []plugin.Auth { return []plugin.Auth{broken, tk} }, 401, ""},
		{"nobody understands", func(plugin.Auth) []plugin.Auth { return []plugin.Auth{noCred} }, 401, ""},
		{"empty chain", func(plugin.Auth) []plugin.Auth { return nil }, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.backend.chain = nil
			for i, a := range tt.chain(e.tokens) {
				e.backend.chain = append(e.backend.chain, AuthPlugin{Name: fmt.Sprint(i), Auth: a})
			}
			resp, raw := e.do("GET", "/v1/whoami", e.operator, nil)
			if resp.StatusCode != tt.want {
				t.Fatalf("whoami = %d %s, want %d", resp.StatusCode, raw, tt.want)
			}
			if tt.want == 200 && !strings.Contains(string(raw), `"user_id":"`+tt.user+`"`) {
				t.Fatalf("whoami = %s, want user %s", raw, tt.user)
			}
		})
	}
}

func TestScopes(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name   string
		token  string
		method string
		path   string
		want   int
	}{
		{"channel opens requests", e.channel, "POST", "/v1/pairing/requests", 201},
		{"channel cannot approve", e.channel, "POST", "/v1/pairing/approve", 403},
		{"channel cannot list", e.channel, "GET", "/v1/pairing/pending", 403},
		{"operator lists", e.operator, "GET", "/v1/pairing/pending", 200},
		{"operator reads plugins", e.operator, "GET", "/v1/plugins", 200},
		{"unknown role gets nothing", e.ghost, "GET", "/v1/pairing/pending", 403},
		{"unknown role is still someone", e.ghost, "GET", "/v1/whoami", 200},
		{"admin holds every scope", e.admin, "GET", "/v1/pairing/audit", 200},
		{"no token", "", "GET", "/v1/pairing/pending", 401},
	}
	body := map[string]string{"channel_type": "telegram", "channel_id": "1"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in any
			if tt.method == "POST" {
				in = body
			}
			resp, raw := e.do(tt.method, tt.path, tt.token, in)
			if resp.StatusCode != tt.want {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, resp.StatusCode, raw, tt.want)
			}
		})
	}
}

func TestRequestErrors(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxBodyBytes = 256 })
	tests := []struct {
		name, method, path string
		body               any
		want               int
		code               string
	}{
		{"unknown field", "POST", "/v1/pairing/requests", `{"channel_type":"t","chanel_id":"1"}`, 400, CodeInvalidRequest},
		{"trailing data", "POST", "/v1/pairing/requests", `{"channel_type":"t"} {}`, 400, CodeInvalidRequest},
		{"empty body", "POST", "/v1/pairing/approve", "", 400, CodeInvalidRequest},
		{"not JSON", "POST", "/v1/pairing/deny", "code=ABC", 400, CodeInvalidRequest},
		{"missing field", "POST", "/v1/pairing/approve", `{"channel_type":"t"}`, 400, CodeInvalidRequest},
		{"malformed code", "POST", "/v1/pairing/approve", `{"channel_type":"t","code":"0000"}`, 400, CodeInvalidRequest},
		{"unknown code", "POST", "/v1/pairing/approve", `{"channel_type":"t","code":"ABCD-EFGH"}`, 404, CodeNotFound},
		{"too large", "POST", "/v1/pairing/requests", `{"channel_type":"` + strings.Repeat("x", 300) + `"}`, 413, CodePayloadTooLarge},
		{"bad limit", "GET", "/v1/pairing/audit?limit=-1", nil, 400, CodeInvalidRequest},
		{"status without channel", "GET", "/v1/pairing/status?channel_type=t", nil, 400, CodeInvalidRequest},
		{"unknown route", "GET", "/v1/nothing", nil, 404, CodeNotFound},
		{"wrong method", "DELETE", "/v1/pairing/pending", nil, 405, CodeMethodNotAllowed},
		{"revoke unknown", "POST", "/v1/pairing/revoke", `{"channel_type":"t","channel_id":"x"}`, 404, CodeNotFound},
		{"newline in channel type", "POST", "/v1/pairing/requests", `{"channel_type":"t\nx","channel_id":"1"}`, 400, CodeInvalidRequest},
		{"escape in channel id", "POST", "/v1/pairing/requests", `{"channel_type":"t","channel_id":"a\u001b[31m"}`, 400, CodeInvalidRequest},
		{"NUL in user name", "POST", "/v1/pairing/requests", `{"channel_type":"t","channel_id":"1","user_name":"a\u0000"}`, 400, CodeInvalidRequest},
		{"CR LF in approval label", "POST", "/v1/pairing/approve", `{"channel_type":"t","code":"ABCD-EFGH","user_name":"a\r\nb"}`, 400, CodeInvalidRequest},
		{"control in revoke", "POST", "/v1/pairing/revoke", `{"channel_type":"t","channel_id":"x\u0085"}`, 400, CodeInvalidRequest},
		{"bad UTF-8 in status query", "GET", "/v1/pairing/status?channel_type=%ff&channel_id=1", nil, 400, CodeInvalidRequest},
		{"bad UTF-8 in pending query", "GET", "/v1/pairing/pending?channel_type=%ff", nil, 400, CodeInvalidRequest},
		{"bad UTF-8 cursor", "GET", "/v1/pairing/paired?cursor=%ff", nil, 400, CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, raw := e.do(tt.method, tt.path, e.admin, tt.body)
			if resp.StatusCode != tt.want || codeOf(t, raw) != tt.code {
				t.Fatalf("%s %s = %d %s, want %d %s", tt.method, tt.path, resp.StatusCode, raw, tt.want, tt.code)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type = %q, want application/json", ct)
			}
		})
	}
}

func TestTooManyPending(t *testing.T) {
	e := newEnv(t, nil)
	for i := range plugin.DefaultMaxPending {
		in := OpenRequest{ChannelType: "sms", ChannelID: fmt.Sprint(i)}
		e.expect(http.StatusCreated, "POST", "/v1/pairing/requests", e.channel, in, nil)
	}
	resp, raw := e.do("POST", "/v1/pairing/requests", e.channel, OpenRequest{ChannelType: "sms", ChannelID: "x"})
	if resp.StatusCode != http.StatusTooManyRequests || codeOf(t, raw) != CodeTooManyPending {
		t.Fatalf("request past the cap = %d %s, want 429 too_many_pending", resp.StatusCode, raw)
	}
}

func TestReadyz(t *testing.T) {
	ready := supervisor.Status{Key: "auth.tokens", State: supervisor.StateReady}
	failed := supervisor.Status{Key: "pairing.sqlite", State: supervisor.StateFailed,
		Binary: "/opt/secret/gatehouse-plugin-sqlite", SHA256: "9f86d081",
		LastError: "exit status 2", LastOutput: []string{"panic: boom"}}
	tests := []struct {
		name     string
		statuses []supervisor.Status
		want     int
		down     string
	}{
		{"all ready", []supervisor.Status{ready}, 200, ""},
		{"one failed", []supervisor.Status{ready, failed}, 503, "pairing.sqlite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.backend.statuses = tt.statuses
			var r Readiness
			e.expect(tt.want, "GET", "/readyz", "", nil, &r)
			if tt.down != "" && (len(r.Down) != 1 || r.Down[0].Key != tt.down || r.Down[0].LastError == "") {
				t.Fatalf("readyz down = %+v, want %s with its error", r.Down, tt.down)
			}
			// /readyz is public: no paths, checksums or plugin output.
			_, raw := e.do("GET", "/readyz", "", nil)
			for _, secret := range []string{"/opt/secret", "9f86d081", "panic: boom"} {
				if strings.Contains(string(raw), secret) {
					t.Errorf("GET /readyz = %s, must not show %q", raw, secret)
				}
			}
		})
	}

	t.Run("no backend", func(t *testing.T) {
		e := newEnv(t, func(o *Options) { o.Source = Static{} })
		e.expect(http.StatusServiceUnavailable, "GET", "/readyz", "", nil, nil)
		e.expect(http.StatusServiceUnavailable, "GET", "/v1/whoami", e.admin, nil, nil)
		e.expect(http.StatusOK, "GET", "/healthz", "", nil, nil)
	})
}

func TestReloadRoute(t *testing.T) {
	var fail error
	e := newEnv(t, func(o *Options) {
		o.Reload = func(context.Context) error { return fail }
	})
	e.expect(http.StatusForbidden, "POST", "/v1/admin/reload", e.operator, nil, nil)
	e.expect(http.StatusOK, "POST", "/v1/admin/reload", e.admin, nil, nil)
	fail = errors.New("config.hcl line 3: unsupported argument")
	resp, raw := e.do("POST", "/v1/admin/reload", e.admin, nil)
	if resp.StatusCode != 400 || !strings.Contains(string(raw), "unsupported argument") {
		t.Fatalf("refused reload = %d %s, want 400 with the diagnostics", resp.StatusCode, raw)
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, nil)
	e.do("GET", "/v1/nothing", "", nil)
	e.do("GET", "/v1/whoami", e.operator, nil)
	_, raw := e.do("GET", "/metrics", "", nil)
	for _, want := range []string{
		`gatehouse_http_requests_total{code="404",route="unmatched"} 1`,
		`gatehouse_http_requests_total{code="200",route="GET /v1/whoami"} 1`,
	} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
