package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/host/internal/apierr"
	"github.com/gatehouse/gatehouse/plugin"
	"golang.org/x/net/websocket"
)

var testTokens = map[string]plugin.Principal{
	"ghs_operator": {UserID: "olivia", Role: "operator"},
	"ghs_user":     {UserID: "ulrich", Role: "user"},
}

func tokenAuth(_ context.Context, req *plugin.CheckRequest) (plugin.Principal, error) {
	tok, _ := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	if c, err := (&http.Request{Header: req.Header}).Cookie("gh_session"); err == nil {
		tok = c.Value
	}
	if p, ok := testTokens[tok]; ok {
		return p, nil
	}
	return plugin.Principal{}, fmt.Errorf("token: %w", plugin.ErrUnauthenticated)
}

func roleScopes(role string) []string {
	if role == "operator" {
		return []string{"pairing.read"}
	}
	return nil
}

// echoHeaders answers with the path and headers it received.
func echoHeaders(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("X-Echo-Path", r.URL.Path)
		_ = json.NewEncoder(w).Encode(r.Header)
	}))
	t.Cleanup(s.Close)
	return s
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func newProxy(t *testing.T, routes ...Route) *httptest.Server {
	t.Helper()
	p, err := New(Options{Routes: routes, Authenticate: tokenAuth, Scopes: roleScopes, CookieName: "gh_session"})
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	s := httptest.NewServer(p)
	t.Cleanup(s.Close)
	return s
}

func get(t *testing.T, rawURL string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestProxy(t *testing.T) {
	up := echoHeaders(t)
	px := newProxy(t,
		Route{Name: "api", Prefix: "/api", Upstream: mustURL(t, up.URL+"/base"), StripPrefix: true},
		Route{Name: "admin", Prefix: "/api/admin", Upstream: mustURL(t, up.URL), Scopes: []string{"pairing.read"}},
	)
	tests := []struct {
		name       string
		path       string
		header     map[string]string
		wantStatus int
		wantSeen   map[string]string
	}{
		{"no route", "/other", map[string]string{"Authorization": "Bearer ghs_user"}, 404, nil},
		{"anonymous", "/api/x", nil, 401, nil},
		{"token", "/api/x", map[string]string{"Authorization": "Bearer ghs_user"}, 200,
			map[string]string{"X-Gatehouse-User": "ulrich", "X-Gatehouse-Role": "user", "X-Echo-Path": "/base/x", "Authorization": ""}},
		{"spoofed identity stripped", "/api/x", map[string]string{
			"Authorization": "Bearer ghs_user", "X-Gatehouse-User": "admin", "X-Gatehouse-Scopes": "admin", "X-Gatehouse-Extra": "1",
		}, 200, map[string]string{"X-Gatehouse-User": "ulrich", "X-Gatehouse-Scopes": "", "X-Gatehouse-Extra": ""}},
		{"session cookie removed, others kept", "/api/x", map[string]string{"Cookie": "theme=dark; gh_session=ghs_user"}, 200,
			map[string]string{"X-Gatehouse-User": "ulrich", "Cookie": "theme=dark"}},
		{"longest prefix needs scope", "/api/admin/y", map[string]string{"Authorization": "Bearer ghs_user"}, 403, nil},
		{"dot segments do not escape", "/api/x/../admin/y", map[string]string{"Authorization": "Bearer ghs_user"}, 403, nil},
		{"scope granted", "/api/admin/y", map[string]string{"Authorization": "Bearer ghs_operator"}, 200,
			map[string]string{"X-Gatehouse-Scopes": "pairing.read", "X-Echo-Path": "/api/admin/y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, px.URL+tt.path, tt.header)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("GET %s status = %d, want %d (body %s)", tt.path, resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantSeen == nil {
				return
			}
			var seen http.Header
			if err := json.Unmarshal(body, &seen); err != nil {
				t.Fatalf("upstream body %q: %v", body, err)
			}
			for k, want := range tt.wantSeen {
				if got := seen.Get(k); got != want || len(seen.Values(k)) > 1 {
					t.Errorf("upstream saw %s = %q, want %q", k, seen.Values(k), want)
				}
			}
		})
	}
}

func TestProxyHostRoute(t *testing.T) {
	up := echoHeaders(t)
	px := newProxy(t, Route{Name: "app", Host: "app.example", Upstream: mustURL(t, up.URL)})

	req, _ := http.NewRequestWithContext(t.Context(), "GET", px.URL+"/anything", nil)
	req.Host = "app.example"
	req.Header.Set("Authorization", "Bearer ghs_user")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET app.example/anything status = %d, want 200", resp.StatusCode)
	}

	resp, _ = get(t, px.URL+"/anything", map[string]string{"Authorization": "Bearer ghs_user"})
	if resp.StatusCode != 404 {
		t.Errorf("GET other host status = %d, want 404", resp.StatusCode)
	}
}

func TestProxyUpstreamErrors(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	px := newProxy(t,
		Route{Name: "hang", Prefix: "/hang", Upstream: mustURL(t, hang.URL), Timeout: 100 * time.Millisecond},
		Route{Name: "down", Prefix: "/down", Upstream: mustURL(t, closed.URL)},
	)
	tests := []struct {
		path       string
		wantStatus int
		wantCode   string
	}{
		{"/hang", http.StatusGatewayTimeout, apierr.CodeGatewayTimeout},
		{"/down", http.StatusBadGateway, apierr.CodeBadGateway},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := get(t, px.URL+tt.path, map[string]string{"Authorization": "Bearer ghs_user"})
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("GET %s status = %d, want %d (body %s)", tt.path, resp.StatusCode, tt.wantStatus, body)
			}
			var e apierr.Body
			if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != tt.wantCode {
				t.Errorf("GET %s body = %s, want error code %q", tt.path, body, tt.wantCode)
			}
		})
	}
}

func TestProxyWebSocket(t *testing.T) {
	echo := websocket.Handler(func(ws *websocket.Conn) {
		_ = websocket.Message.Send(ws, "user="+ws.Request().Header.Get("X-Gatehouse-User"))
		_, _ = io.Copy(ws, ws)
	})
	up := httptest.NewServer(echo)
	t.Cleanup(up.Close)
	px := newProxy(t, Route{Name: "ws", Prefix: "/ws", Upstream: mustURL(t, up.URL), Timeout: time.Second})

	cfg, err := websocket.NewConfig("ws"+strings.TrimPrefix(px.URL, "http")+"/ws", px.URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Header.Set("Authorization", "Bearer ghs_operator")
	cfg.Header.Set("X-Gatehouse-User", "mallory")
	ws, err := cfg.DialContext(t.Context())
	if err != nil {
		t.Fatalf("dial through proxy: %v", err)
	}
	defer ws.Close()

	var got string
	if err := websocket.Message.Receive(ws, &got); err != nil || got != "user=olivia" {
		t.Fatalf("first message = %q, %v, want %q", got, err, "user=olivia")
	}
	for _, msg := range []string{"hello", "second"} {
		if err := websocket.Message.Send(ws, msg); err != nil {
			t.Fatal(err)
		}
		if err := websocket.Message.Receive(ws, &got); err != nil || got != msg {
			t.Errorf("echo = %q, %v, want %q", got, err, msg)
		}
	}
}

func TestProxyWebSocketAnonymous(t *testing.T) {
	px := newProxy(t, Route{Name: "ws", Prefix: "/ws", Upstream: mustURL(t, "http://127.0.0.1:1")})
	cfg, _ := websocket.NewConfig("ws"+strings.TrimPrefix(px.URL, "http")+"/ws", px.URL)
	if ws, err := cfg.DialContext(t.Context()); err == nil {
		ws.Close()
		t.Fatal("anonymous WebSocket dial succeeded, want it refused")
	}
}

func TestNewRejectsBadRoutes(t *testing.T) {
	tests := []struct {
		name string
		rt   Route
	}{
		{"no match", Route{Name: "a", Upstream: &url.URL{Scheme: "http", Host: "x"}}},
		{"relative prefix", Route{Name: "a", Prefix: "api", Upstream: &url.URL{Scheme: "http", Host: "x"}}},
		{"no upstream", Route{Name: "a", Prefix: "/a"}},
		{"bad scheme", Route{Name: "a", Prefix: "/a", Upstream: &url.URL{Scheme: "ftp", Host: "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Options{Routes: []Route{tt.rt}, Authenticate: tokenAuth, Scopes: roleScopes})
			if err == nil {
				t.Errorf("New(%+v) error = nil, want an error", tt.rt)
			}
		})
	}
}
