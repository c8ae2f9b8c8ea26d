package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/host/server"
)

// TestLoginStory turns a bearer token into a session, uses it as a bearer
// token and as a cookie, logs out, and checks the session is dead.
func TestLoginStory(t *testing.T) {
	w := startWorld(t)

	resp, raw := send(t, "POST", w.host.URL+"/v1/login", nil, bearer(w.operator))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login = %d %s, want 200", resp.StatusCode, raw)
	}
	var login server.LoginResponse
	decode(t, raw, &login)
	if !strings.HasPrefix(login.Token, server.SessionPrefix) || login.Principal.UserID != "alice" {
		t.Fatalf("login = %+v, want a ghs_ token for alice", login)
	}
	cookie := sessionCookie(t, resp)

	t.Run("whoami by bearer session", func(t *testing.T) {
		var id server.Identity
		w.expect(t, http.StatusOK, "GET", "/v1/whoami", login.Token, nil, &id)
		if id.Principal.UserID != "alice" || id.Via != "session" || id.Principal.Role != "operator" {
			t.Fatalf("whoami = %+v, want alice operator via session", id)
		}
	})

	t.Run("whoami by cookie", func(t *testing.T) {
		resp, raw := send(t, "GET", w.host.URL+"/v1/whoami", nil, withCookie(cookie))
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(raw), `"alice"`) {
			t.Fatalf("whoami by cookie = %d %s, want alice", resp.StatusCode, raw)
		}
	})

	t.Run("refused logins", func(t *testing.T) {
		for name, edit := range map[string]func(*http.Request){
			"no credential":  func(*http.Request) {},
			"unknown token":  bearer("ght_" + strings.Repeat("A", 43)),
			"garbage bearer": bearer("not-a-token"),
		} {
			resp, raw := send(t, "POST", w.host.URL+"/v1/login", nil, edit)
			if resp.StatusCode != http.StatusUnauthorized || errorCode(t, raw) != server.CodeUnauthenticated {
				t.Errorf("%s: login = %d %s, want 401 unauthenticated", name, resp.StatusCode, raw)
			}
		}
	})

	t.Run("logout ends the session", func(t *testing.T) {
		w.expect(t, http.StatusNoContent, "POST", "/v1/logout", login.Token, nil, nil)
		got, raw := w.call(t, "GET", "/v1/whoami", login.Token, nil)
		if got != http.StatusUnauthorized || errorCode(t, raw) != server.CodeUnauthenticated {
			t.Fatalf("whoami after logout = %d %s, want 401", got, raw)
		}
		resp, _ := send(t, "GET", w.host.URL+"/v1/whoami", nil, withCookie(cookie))
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("whoami by cookie after logout = %d, want 401", resp.StatusCode)
		}
	})

	t.Run("cli whoami of a dead session exits 4", func(t *testing.T) {
		_, _, code := gatehouse(t, t.TempDir(), "whoami", "--addr", w.host.URL, "--token", login.Token)
		if code != 4 {
			t.Fatalf("gatehouse whoami exited %d, want 4", code)
		}
	})
}

func bearer(token string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

func withCookie(c *http.Cookie) func(*http.Request) {
	return func(r *http.Request) { r.AddCookie(c) }
}

// sessionCookie returns the session cookie of a login response and checks
// its flags.
func sessionCookie(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == server.DefaultCookieName {
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				t.Fatalf("session cookie %+v: want HttpOnly and SameSite=Strict", c)
			}
			return &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	t.Fatalf("login set no %s cookie", server.DefaultCookieName)
	return nil
}

func decode(t *testing.T, raw []byte, out any) {
	t.Helper()
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}
