package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/host/supervisor"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/plugins/sqlite/store"
	"github.com/gatehouse/gatehouse/plugins/token-auth/tokens"
	"github.com/hashicorp/go-hclog"
)

// backend is a Backend over the real SQLite store and token-auth, in
// process.
type backend struct {
	chain    []AuthPlugin
	store    *store.Store
	statuses []supervisor.Status
}

func (b *backend) AuthChain() []AuthPlugin       { return b.chain }
func (b *backend) Pairing() plugin.Pairing       { return b.store }
func (b *backend) Sessions() plugin.Sessions     { return b.store }
func (b *backend) Statuses() []supervisor.Status { return b.statuses }

// stubAuth answers every check the same way. It stands in for answers a
// real plugin cannot give on demand: an outage, an internal error.
type stubAuth struct {
	res plugin.CheckResult
	err error
}

func (s stubAuth) Check(context.Context, *plugin.CheckRequest) (plugin.CheckResult, error) {
	return s.res, s.err
}

// env is a test server with one token per role.
type env struct {
	t        *testing.T
	url      string
	srv      *Server
	backend  *backend
	logs     *syncBuffer
	tokens   *tokens.Auth
	admin    string
	operator string
	channel  string
	ghost    string // a role the config does not know
}

// newEnv starts a server; edit may change its options.
func newEnv(t *testing.T, edit func(*Options)) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(t.Context(), store.Config{Path: filepath.Join(dir, "gatehouse.db")})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })

	e := &env{t: t, logs: &syncBuffer{}}
	file := filepath.Join(dir, "tokens.json")
	e.admin = mintToken(t, file, "root", "admin")
	e.operator = mintToken(t, file, "alice", "operator")
	e.channel = mintToken(t, file, "bot", "channel")
	e.ghost = mintToken(t, file, "casper", "ghost")
	e.tokens, err = tokens.New(t.Context(), json.RawMessage(fmt.Sprintf(`{"tokens_file":%q}`, file)))
	if err != nil {
		t.Fatalf("token-auth: %v", err)
	}
	e.backend = &backend{store: st, chain: []AuthPlugin{{Name: "tokens", Auth: e.tokens}}}

	opts := Options{
		Source: Static{e.backend},
		Logger: hclog.New(&hclog.LoggerOptions{Output: e.logs, Level: hclog.Trace}),
	}
	if edit != nil {
		edit(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.srv = srv
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return e
}

func mintToken(t *testing.T, file, user, role string) string {
	t.Helper()
	token, _, err := tokens.Mint(file, user, role, time.Now())
	if err != nil {
		t.Fatalf("Mint(%s) = %v", user, err)
	}
	return token
}

// do sends body (raw when a string, else JSON) with a bearer token and
// returns the response and its body.
func (e *env) do(method, path, token string, body any) (*http.Response, []byte) {
	e.t.Helper()
	var rd io.Reader = http.NoBody
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp, raw
}

// expect checks the status of a request and decodes its body into out.
func (e *env) expect(want int, method, path, token string, body, out any) {
	e.t.Helper()
	resp, raw := e.do(method, path, token, body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, raw, want)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
}

// codeOf returns the stable error code of an error body.
func codeOf(t *testing.T, raw []byte) string {
	t.Helper()
	var eb ErrorBody
	if err := json.Unmarshal(raw, &eb); err != nil {
		t.Fatalf("error body %s: %v", raw, err)
	}
	return eb.Error.Code
}

// syncBuffer captures log output; see testenv.SyncBuffer.
type syncBuffer = testenv.SyncBuffer

// basicAuth admits any Basic credential as its user and records what it
// saw; requests without one get OutcomeNoCredential. ldap-auth is the real
// plugin for Basic; this keeps the login tests free of a directory.
type basicAuthFunc func(*plugin.CheckRequest) plugin.CheckResult

func (f basicAuthFunc) Check(_ context.Context, r *plugin.CheckRequest) (plugin.CheckResult, error) {
	return f(r), nil
}

func basicAuth(seen *string) plugin.Auth {
	return basicAuthFunc(func(r *plugin.CheckRequest) plugin.CheckResult {
		v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Basic ")
		if !ok {
			return plugin.CheckResult{Outcome: plugin.OutcomeNoCredential}
		}
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return plugin.CheckResult{Outcome: plugin.OutcomeFailure}
		}
		*seen = string(raw)
		user, _, _ := strings.Cut(*seen, ":")
		return plugin.CheckResult{Outcome: plugin.OutcomeSuccess,
			Principal: plugin.Principal{UserID: user, Role: "user"}}
	})
}
