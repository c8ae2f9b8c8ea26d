package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
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
			for _, path := range []string{"/v1/whoami", ForwardAuthPath} {
				status, raw := sendHeaders(t, e.url+path, tt.header)
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

// sendHeaders sends GET url with one Authorization header per value.
func sendHeaders(t *testing.T, url string, auth []string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url, nil)
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
