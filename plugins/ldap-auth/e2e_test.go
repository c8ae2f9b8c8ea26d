package main_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/plugins/token-auth/tokens"
)

// e2eConfig puts ldap-auth first in the auth chain; token-auth and
// SQLite (testenv.TokenSQLiteConfig) follow.
const e2eConfig = `
auth "ldap" {
  plugin = "ldap-auth"
  config {
    url             = ["%s"]
    starttls        = true
    certificate     = file("%s")
    bind_dn         = "cn=gatehouse,ou=service,dc=example,dc=org"
    bind_pass       = env("LDAP_BIND_PASSWORD")
    user_dn         = "ou=people,dc=example,dc=org"
    group_dn        = "ou=groups,dc=example,dc=org"
    group_roles     = {
      ops                                                  = "operator"
      legacy                                               = "user"
      "cn=R&D\\2C \\22Lab\\22 #1,ou=groups,dc=example,dc=org" = "operator"
    }
    request_timeout = "5s"
  }
}
`

func TestEndToEnd(t *testing.T) {
	d := testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: "testdata/seed.ldif"})
	tokensFile := filepath.Join(t.TempDir(), "tokens.jsonl")
	channel, _, err := tokens.Mint(tokensFile, "telegram-adapter", "channel", time.Now())
	if err != nil {
		t.Fatalf("mint channel token: %v", err)
	}
	cfg := fmt.Sprintf(e2eConfig, d.URL, d.CAFile) + testenv.TokenSQLiteConfig(tokensFile)
	h := testenv.StartHost(t, cfg, "LDAP_BIND_PASSWORD=pw-service")

	// A channel adapter, authenticated by token-auth after ldap-auth
	// passed, opens a pairing request.
	var opened struct{ Code string }
	expect(t, h, http.StatusCreated, "POST", "/v1/pairing/requests", bearer(channel),
		map[string]string{"channel_type": "telegram", "channel_id": "chat-42", "user_name": "Zoë"}, &opened)

	// A directory operator with an awkward name logs in with Basic.
	var login struct {
		Token     string
		Principal struct {
			UserID   string         `json:"user_id"`
			Role     string         `json:"role"`
			Metadata map[string]any `json:"metadata"`
		}
	}
	expect(t, h, http.StatusOK, "POST", "/v1/login", basic(`o'neil, "jr"`, "pw-oneil"), nil, &login)
	if p := login.Principal; p.UserID != `o'neil, "jr"` || p.Role != "operator" || p.Metadata["auth"] != "ldap" {
		t.Fatalf("login principal = %+v, want o'neil as operator from ldap", p)
	}

	// A directory user whose group maps to "user" may not approve.
	var bob struct{ Token string }
	expect(t, h, http.StatusOK, "POST", "/v1/login", basic("Bob.Mixed", "pw-bob"), nil, &bob)
	approve := map[string]string{"channel_type": "telegram", "code": opened.Code}
	expect(t, h, http.StatusForbidden, "POST", "/v1/pairing/approve", bearer(bob.Token), approve, nil)

	// The operator's session approves the code.
	expect(t, h, http.StatusOK, "POST", "/v1/pairing/approve", bearer(login.Token), approve, nil)
	var status struct{ Paired bool }
	expect(t, h, http.StatusOK, "GET", "/v1/pairing/status?channel_type=telegram&channel_id=chat-42",
		bearer(channel), nil, &status)
	if !status.Paired {
		t.Error("channel not paired after the directory operator approved")
	}

	// Wrong password, unknown user and locked account look the same.
	wrong := call(t, h, "POST", "/v1/login", basic("alice", "pw-bob"), nil)
	for _, c := range [][2]string{{"nobody", "pw-bob"}, {"locked", "pw-locked"}} {
		got := call(t, h, "POST", "/v1/login", basic(c[0], c[1]), nil)
		if got.status != wrong.status || !bytes.Equal(got.body, wrong.body) {
			t.Errorf("login %s = %d %s, want the same as a wrong password: %d %s",
				c[0], got.status, got.body, wrong.status, wrong.body)
		}
	}
	if wrong.status != http.StatusUnauthorized {
		t.Errorf("wrong password = %d, want 401", wrong.status)
	}
	causes := []string{"invalid credentials", "unknown user", "Account locked"}
	log := waitLog(h, causes...)
	for _, cause := range causes {
		if !strings.Contains(log, cause) {
			t.Errorf("host log does not name the cause %q:\n%s", cause, log)
		}
	}
	if strings.Contains(log, "pw-service") || strings.Contains(log, "pw-oneil") || strings.Contains(log, "pw-bob") {
		t.Errorf("host log contains a password:\n%s", log)
	}
}

// waitLog returns the host log once it holds every one of want, or after
// a generous deadline: the host's output arrives through a pipe.
func waitLog(h *testenv.Host, want ...string) string {
	deadline := time.Now().Add(20 * time.Second)
	for {
		log := h.Log()
		missing := false
		for _, w := range want {
			missing = missing || !strings.Contains(log, w)
		}
		if !missing || time.Now().After(deadline) {
			return log
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type response struct {
	status int
	body   []byte
}

func bearer(token string) string { return "Bearer " + token }

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// call sends a request with the Authorization header auth and a JSON body.
func call(t *testing.T, h *testenv.Host, method, path, auth string, body any) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, h.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{resp.StatusCode, raw}
}

// expect calls and checks the status, decoding the body into out.
func expect(t *testing.T, h *testenv.Host, want int, method, path, auth string, body, out any) {
	t.Helper()
	got := call(t, h, method, path, auth, body)
	if got.status != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, got.status, got.body, want)
	}
	if out != nil {
		if err := json.Unmarshal(got.body, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, got.body, err)
		}
	}
}
