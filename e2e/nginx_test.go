package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
)

// edgeConfig is ldap-auth, then token-auth and SQLite
// (testenv.TokenSQLiteConfig), with forward-auth rules, a proxied route
// and a short decision cache.
const edgeConfig = `
auth "ldap" {
  plugin = "ldap-auth"
  config {
    url         = ["%s"]
    bind_dn     = "cn=gatehouse,ou=service,dc=example,dc=org"
    bind_pass   = env("LDAP_BIND_PASSWORD")
    user_dn     = "ou=people,dc=example,dc=org"
    group_dn    = "ou=groups,dc=example,dc=org"
    group_roles = { ops = "operator", legacy = "user" }
  }
}

forward_auth {
  realm = "Gatehouse"
  rule {
    path_prefix = "/admin"
    scopes      = ["pairing.approve"]
  }
}

route "echo" {
  prefix   = "/echo"
  upstream = %q
}

auth_cache {
  positive_ttl = "2s"
  negative_ttl = "1s"
}
`

// edgeWorld is slapd, the host, an echo upstream and nginx.
type edgeWorld struct {
	host    *testenv.Host
	nginx   *testenv.Nginx
	channel string // token-auth token of a channel adapter
}

func startEdge(t *testing.T) *edgeWorld {
	t.Helper()
	d := testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: filepath.Join("..", "plugins", "ldap-auth", "testdata", "seed.ldif")})
	up := echoUpstream(t)
	tokensFile := filepath.Join(t.TempDir(), "tokens.jsonl")
	w := &edgeWorld{channel: mint(t, tokensFile, "telegram-adapter", "channel")}
	w.host = testenv.StartHost(t, fmt.Sprintf(edgeConfig, d.URL, up)+testenv.TokenSQLiteConfig(tokensFile), "LDAP_BIND_PASSWORD=pw-service")
	w.nginx = testenv.StartNginx(t, testenv.NginxAuthRequest, map[string]string{"auth": w.host.URL, "upstream": up})
	return w
}

// echoUpstream answers with the request headers it received, as JSON.
func echoUpstream(t *testing.T) string {
	t.Helper()
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(r.Header)
	}))
	return s
}

func TestNginxForwardAuth(t *testing.T) {
	w := startEdge(t)
	var login struct{ Token string }
	resp, raw := send(t, "POST", w.host.URL+"/v1/login", nil, func(r *http.Request) { r.SetBasicAuth("alice", "pw-alice") })
	if resp.StatusCode != 200 || json.Unmarshal(raw, &login) != nil {
		t.Fatalf("login alice = %d %s", resp.StatusCode, raw)
	}

	tests := []struct {
		name       string
		path       string
		edit       func(*http.Request)
		wantStatus int
		wantSeen   map[string]string
	}{
		{"anonymous refused", "/app", func(*http.Request) {}, 401, nil},
		{"wrong password refused", "/app", func(r *http.Request) { r.SetBasicAuth("alice", "pw-bob") }, 401, nil},
		{"ldap basic accepted", "/app", func(r *http.Request) { r.SetBasicAuth("alice", "pw-alice") }, 200,
			map[string]string{"X-Gatehouse-User": "alice", "X-Gatehouse-Role": "operator"}},
		{"token accepted", "/app", bearerOf(w.channel), 200,
			map[string]string{"X-Gatehouse-User": "telegram-adapter", "X-Gatehouse-Role": "channel", "X-Gatehouse-Scopes": "pairing.request"}},
		{"session accepted", "/app", bearerOf(login.Token), 200, map[string]string{"X-Gatehouse-User": "alice"}},
		{"spoofed headers replaced", "/app", func(r *http.Request) {
			r.SetBasicAuth("Bob.Mixed", "pw-bob")
			r.Header.Set("X-Gatehouse-User", "alice")
			r.Header.Set("X-Gatehouse-Role", "admin")
			r.Header.Set("X-Gatehouse-Scopes", "admin")
		}, 200, map[string]string{"X-Gatehouse-User": "bob.mixed", "X-Gatehouse-Role": "user", "X-Gatehouse-Scopes": ""}},
		{"spoofed headers alone refused", "/app", func(r *http.Request) { r.Header.Set("X-Gatehouse-User", "alice") }, 401, nil},
		{"scope rule refuses", "/admin/x", bearerOf(w.channel), 403, nil},
		{"scope rule admits", "/admin/x", bearerOf(login.Token), 200, map[string]string{"X-Gatehouse-User": "alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, raw := send(t, "GET", w.nginx.URL+tt.path, nil, tt.edit)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("GET %s via nginx = %d, want %d\n%s\nnginx: %s", tt.path, resp.StatusCode, tt.wantStatus, raw, w.nginx.ErrorLog())
			}
			if resp.StatusCode == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Basic realm="Gatehouse"`) {
				t.Errorf("401 WWW-Authenticate = %q, want a Basic realm", resp.Header.Get("WWW-Authenticate"))
			}
			checkSeen(t, raw, tt.wantSeen)
		})
	}
}

func TestHostRouteAndEvents(t *testing.T) {
	w := startEdge(t)

	// The host's own route proxies with the real identity headers.
	resp, raw := send(t, "GET", w.host.URL+"/echo/x", nil, func(r *http.Request) {
		bearerOf(w.channel)(r)
		r.Header.Set("X-Gatehouse-User", "root")
	})
	if resp.StatusCode != 200 {
		t.Fatalf("GET /echo/x = %d %s", resp.StatusCode, raw)
	}
	checkSeen(t, raw, map[string]string{"X-Gatehouse-User": "telegram-adapter", "Authorization": ""})
	if resp, _ := send(t, "GET", w.host.URL+"/echo/x", nil, func(*http.Request) {}); resp.StatusCode != 401 {
		t.Errorf("anonymous GET /echo/x = %d, want 401", resp.StatusCode)
	}

	// An operator watches the event stream while a channel asks to pair.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", w.host.URL+"/v1/events", nil)
	req.SetBasicAuth("alice", "pw-alice")
	stream, err := http.DefaultClient.Do(req)
	if err != nil || stream.StatusCode != 200 {
		t.Fatalf("GET /v1/events = %v, %v", stream, err)
	}
	defer stream.Body.Close()
	resp, raw = send(t, "POST", w.host.URL+"/v1/pairing/requests",
		map[string]string{"channel_type": "telegram", "channel_id": "chat-7"}, bearerOf(w.channel))
	if resp.StatusCode != 201 {
		t.Fatalf("open request = %d %s", resp.StatusCode, raw)
	}
	sc := bufio.NewScanner(stream.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "event: ") {
			if line != "event: pairing.requested" {
				t.Errorf("first event = %q, want pairing.requested", line)
			}
			break
		}
	}

	// A channel may not subscribe; the document is served.
	if resp, _ := send(t, "GET", w.host.URL+"/v1/events", nil, bearerOf(w.channel)); resp.StatusCode != 403 {
		t.Errorf("channel GET /v1/events = %d, want 403", resp.StatusCode)
	}
	if resp, _ := send(t, "GET", w.host.URL+"/openapi.yaml", nil, func(*http.Request) {}); resp.StatusCode != 200 {
		t.Errorf("GET /openapi.yaml = %d, want 200", resp.StatusCode)
	}

	// Failed logins from one address: the default burst of 5, then 429.
	for i, want := range []int{401, 401, 401, 401, 401, 429} {
		resp, _ := send(t, "POST", w.host.URL+"/v1/login", nil, func(r *http.Request) { r.SetBasicAuth("mallory", "guess") })
		if resp.StatusCode != want {
			t.Fatalf("failed login %d = %d, want %d", i+1, resp.StatusCode, want)
		}
		if want == 429 && resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
}

func bearerOf(token string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// checkSeen checks the headers the echo upstream reports.
func checkSeen(t *testing.T, raw []byte, want map[string]string) {
	t.Helper()
	if want == nil {
		return
	}
	var seen http.Header
	if err := json.Unmarshal(raw, &seen); err != nil {
		t.Fatalf("upstream body %q: %v", raw, err)
	}
	for k, v := range want {
		if got := seen.Values(k); seen.Get(k) != v || len(got) > 1 {
			t.Errorf("upstream saw %s = %q, want %q", k, got, v)
		}
	}
}

// newServer serves h on loopback until the test ends and returns its URL.
func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	s := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ln := listenLoopback(t)
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { s.Close() })
	return "http://" + ln.Addr().String()
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
