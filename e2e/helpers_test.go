// Package e2e drives the real gatehouse binary and its real plugins over
// HTTP: the pairing and login stories, the process tree, and reload.
package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/plugins/token-auth/tokens"
)

// world is a running host with one token per role.
type world struct {
	host     *testenv.Host
	tokens   string // tokens file
	admin    string
	operator string
	channel  string
}

// startWorld mints the tokens, then starts the host on them.
func startWorld(t *testing.T) *world {
	t.Helper()
	w := &world{tokens: filepath.Join(t.TempDir(), "tokens.json")}
	w.admin = mint(t, w.tokens, "root", "admin")
	w.operator = mint(t, w.tokens, "alice", "operator")
	w.channel = mint(t, w.tokens, "telegram-adapter", "channel")
	w.host = testenv.StartHost(t, w.config())
	return w
}

func (w *world) config() string { return testenv.TokenSQLiteConfig(w.tokens) }

func mint(t *testing.T, file, user, role string) string {
	t.Helper()
	token, _, err := tokens.Mint(file, user, role, time.Now())
	if err != nil {
		t.Fatalf("Mint(%s, %s) = %v", user, role, err)
	}
	return token
}

// call sends a JSON request with a bearer token (none when empty) and
// returns the status and body.
func (w *world) call(t *testing.T, method, path, token string, body any) (int, []byte) {
	t.Helper()
	resp, raw := send(t, method, w.host.URL+path, body, func(r *http.Request) {
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
	})
	return resp.StatusCode, raw
}

func send(t *testing.T, method, url string, body any, edit func(*http.Request)) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	edit(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp, raw
}

// expect calls and checks the status, decoding the body into out when
// out is not nil.
func (w *world) expect(t *testing.T, want int, method, path, token string, body, out any) {
	t.Helper()
	got, raw := w.call(t, method, path, token, body)
	if got != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, got, raw, want)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
}

// errorCode returns the stable code of an error body.
func errorCode(t *testing.T, raw []byte) string {
	t.Helper()
	var eb struct{ Error struct{ Code string } }
	if err := json.Unmarshal(raw, &eb); err != nil {
		t.Fatalf("decode error body %s: %v", raw, err)
	}
	return eb.Error.Code
}

// gatehouse runs the built CLI and returns its stdout, stderr and exit
// code.
func gatehouse(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	bin := filepath.Join(testenv.BuildBinaries(t), testenv.HostBinary)
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Dir = dir
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errb.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("run gatehouse %v: %v", args, err)
	}
	return out.String(), errb.String(), 0
}

// hyphenated turns "ABCDEFGH" into "abcd-efgh", as a person might type it.
func hyphenated(code string) string {
	lc := strings.ToLower(code)
	return lc[:4] + "-" + lc[4:]
}
