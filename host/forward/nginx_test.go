package forward

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse/gatehouse/internal/testenv"
)

// echoUpstream answers with the request headers it received, as JSON.
func echoUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(r.Header)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestNginxAuthRequest(t *testing.T) {
	h := newHandler(t, Options{
		Realm: "gatehouse",
		Mount: "/v1/forward-auth",
		Rules: []Rule{{PathPrefix: "/admin", Scopes: []string{"pairing.read"}}},
	})
	auth := httptest.NewServer(h)
	t.Cleanup(auth.Close)
	up := echoUpstream(t)
	ngx := testenv.StartNginx(t, testenv.NginxAuthRequest, map[string]string{"auth": auth.URL, "upstream": up.URL})

	tests := []struct {
		name       string
		path       string
		header     map[string]string
		wantStatus int
		wantSeen   map[string]string
	}{
		{"anonymous refused", "/app", nil, 401, nil},
		{"wrong token refused", "/app", map[string]string{"Authorization": "Bearer ghs_wrong"}, 401, nil},
		{
			"token accepted", "/app", map[string]string{"Authorization": "Bearer ghs_operator"}, 200,
			map[string]string{"X-Gatehouse-User": "olivia", "X-Gatehouse-Role": "operator", "X-Gatehouse-Scopes": "pairing.read events.read"},
		},
		{
			"spoofed headers replaced", "/app", map[string]string{
				"Authorization": "Bearer ghs_user", "X-Gatehouse-User": "admin",
				"X-Gatehouse-Role": "admin", "X-Gatehouse-Scopes": "admin",
			}, 200,
			map[string]string{"X-Gatehouse-User": "ulrich", "X-Gatehouse-Role": "user", "X-Gatehouse-Scopes": ""},
		},
		{"spoofed headers without token refused", "/app", map[string]string{"X-Gatehouse-User": "olivia"}, 401, nil},
		{"scope required", "/admin/panel", map[string]string{"Authorization": "Bearer ghs_user"}, 403, nil},
		{"dot segments do not bypass", "/app/../admin/panel", map[string]string{"Authorization": "Bearer ghs_user"}, 403, nil},
		{"scope granted", "/admin/panel", map[string]string{"Authorization": "Bearer ghs_operator"}, 200, map[string]string{"X-Gatehouse-User": "olivia"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), "GET", ngx.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("GET %s: %v", tt.path, err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)

			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("GET %s status = %d, want %d\nbody: %s\nnginx: %s", tt.path, resp.StatusCode, tt.wantStatus, body, ngx.ErrorLog())
			}
			if resp.StatusCode == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate: a browser would not prompt")
			}
			if tt.wantSeen == nil {
				return
			}
			var seen http.Header
			if err := json.Unmarshal(body, &seen); err != nil {
				t.Fatalf("upstream body %q: %v", body, err)
			}
			for k, want := range tt.wantSeen {
				if got := seen.Values(k); len(got) > 1 || seen.Get(k) != want {
					t.Errorf("upstream saw %s = %q, want %q", k, got, want)
				}
			}
		})
	}
}
