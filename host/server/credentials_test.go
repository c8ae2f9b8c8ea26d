package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/plugin/plugintest"
)

// TestCredentialHeaders sends Authorization headers in unusual shapes:
// several headers are refused whatever they hold, and the scheme of a
// session token is case-insensitive, as for every other bearer token.
func TestCredentialHeaders(t *testing.T) {
	e := newEnv(t, nil)
	var login LoginResponse
	e.expect(http.StatusOK, "POST", "/v1/login", e.operator, nil, &login)

	tests := []struct {
		name   string
		header []string
		want   int
		user   string
	}{
		{"one token", []string{"Bearer " + e.channel}, 200, "bot"},
		{"lower-case scheme for a session", []string{"bearer " + login.Token}, 200, "alice"},
		{"two tokens", []string{"Bearer " + e.channel, "Bearer " + e.operator}, 401, ""},
		{"session then token", []string{"Bearer " + login.Token, "Bearer " + e.channel}, 401, ""},
		{"token then session", []string{"Bearer " + e.channel, "Bearer " + login.Token}, 401, ""},
		{"junk then token", []string{"Bearer junk", "Bearer " + e.operator}, 401, ""},
		{"basic then token", []string{"Basic Zm9vOmJhcg==", "Bearer " + e.operator}, 401, ""},
		{"the same token twice", []string{"Bearer " + e.operator, "Bearer " + e.operator}, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.header) > 1 {
				if status, raw := sendHeaders(t, "POST", e.url+"/v1/login", tt.header); status != tt.want {
					t.Fatalf("POST /v1/login = %d %s, want %d", status, raw, tt.want)
				}
			}
			for _, path := range []string{"/v1/whoami", ForwardAuthPath} {
				status, raw := sendHeaders(t, "GET", e.url+path, tt.header)
				if status != tt.want {
					t.Fatalf("GET %s = %d %s, want %d", path, status, raw, tt.want)
				}
				if path == "/v1/whoami" && tt.want == 200 {
					var id Identity
					if err := json.Unmarshal(raw, &id); err != nil || id.Principal.UserID != tt.user {
						t.Fatalf("whoami = %s, want %s", raw, tt.user)
					}
				}
			}
		})
	}
}

// sendHeaders sends a request with one Authorization header per value.
func sendHeaders(t *testing.T, method, url string, auth []string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range auth {
		req.Header.Add("Authorization", v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, []byte(strings.TrimSpace(string(raw)))
}

// TestBytesThatAreNotUTF8 runs token-auth over the real gRPC adapters: a
// header or path with bytes that are not UTF-8 must not stop a good token
// from being checked.
func TestBytesThatAreNotUTF8(t *testing.T) {
	e := newEnv(t, nil)
	client := plugintest.Connect(t, plugin.ServeConfig{
		Name: "token-auth",
		Auth: func(context.Context, json.RawMessage) (plugin.Auth, error) { return e.tokens, nil },
	})
	if err := client.Configure(t.Context(), plugin.ProtocolAuth, "tokens", []byte("{}")); err != nil {
		t.Fatalf("Configure() = %v", err)
	}
	e.backend.chain = []AuthPlugin{{Name: "tokens", Auth: client.Auth()}}

	tests := []struct {
		name, path, header string
	}{
		{"Latin-1 header", "/v1/whoami", "caf\xe9"},
		{"path", ForwardAuthPath + "/caf%E9", "plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), "GET", e.url+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+e.operator)
			req.Header.Set("X-Name", tt.header)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d %s, want 200", tt.path, resp.StatusCode, raw)
			}
		})
	}
}
