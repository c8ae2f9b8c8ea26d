package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/host/server"
	"github.com/gatehouse/gatehouse/internal/testenv"
)

// stableEdge is a route that every config of the test keeps, and a login
// limit of one failure a minute (%d per minute, so a reload can change
// it). A minute is far longer than a reload, so a spent allowance stays
// spent unless the reload resets it.
const stableEdge = `
route "stable" {
  prefix   = "/stable"
  upstream = %q
}

rate_limit {
  login_per_minute = %d
  burst            = 1
}
`

// addedEdge is what the first reload adds: a route that needs
// pairing.read and a forward-auth rule that needs pairing.approve.
const addedEdge = `
route "svc" {
  prefix   = "/svc"
  upstream = %q
  scopes   = ["pairing.read"]
}

forward_auth {
  rule {
    path_prefix = "/ops"
    scopes      = ["pairing.approve"]
  }
}
`

// TestEdgeReload adds a route and a forward-auth rule by reload through
// the API, then removes them by SIGHUP, while clients keep using a route,
// forward auth and the API; no request may fail. A reload that keeps the
// rate_limit settings keeps the spent login allowance; one that changes
// them starts afresh.
func TestEdgeReload(t *testing.T) {
	up := echoUpstream(t)
	stable := func(perMinute int) string { return fmt.Sprintf(stableEdge, up, perMinute) }
	w := startEdgeWorld(t, stable(1))
	var login server.LoginResponse
	w.expect(t, http.StatusOK, "POST", "/v1/login", w.operator, nil, &login)

	checkAdded := func(t *testing.T, added bool) {
		t.Helper()
		route, rule := http.StatusNotFound, http.StatusOK
		if added {
			route, rule = http.StatusOK, http.StatusForbidden
		}
		w.expect(t, route, "GET", "/svc/x", w.operator, nil, nil)
		w.expect(t, rule, "GET", server.ForwardAuthPath+"/ops/x", w.channel, nil, nil)
		w.expect(t, http.StatusOK, "GET", server.ForwardAuthPath+"/ops/x", w.operator, nil, nil)
	}
	checkAdded(t, false)
	if got := w.wrongLogin(t); got != http.StatusUnauthorized {
		t.Fatalf("first wrong login = %d, want 401", got)
	}
	spent := time.Now()
	if got := w.wrongLogin(t); got != http.StatusTooManyRequests {
		t.Fatalf("second wrong login = %d, want 429", got)
	}
	load := startCalls(t, []func() (int, error){
		func() (int, error) { return w.status("GET", "/stable/x", login.Token, nil) },
		func() (int, error) { return w.status("GET", server.ForwardAuthPath+"/stable/x", login.Token, nil) },
		func() (int, error) { return w.status("GET", "/v1/whoami", login.Token, nil) },
	})

	t.Run("reload adds a route and a rule", func(t *testing.T) {
		if err := w.host.Rewrite(w.config() + stable(1) + fmt.Sprintf(addedEdge, up)); err != nil {
			t.Fatal(err)
		}
		w.expect(t, http.StatusOK, "POST", "/v1/admin/reload", w.admin, nil, nil)
		checkAdded(t, true)
		w.expect(t, http.StatusForbidden, "GET", "/svc/x", w.channel, nil, nil)
		w.expectIdentity(t, "/svc/x", login.Token, "alice")
		if got := w.wrongLogin(t); got != http.StatusTooManyRequests {
			t.Fatalf("wrong login after a reload that kept rate_limit = %d, want 429 (%s since the allowance was spent)",
				got, time.Since(spent).Round(time.Second))
		}
		load.progress(t)
	})

	t.Run("SIGHUP removes them and changes the limit", func(t *testing.T) {
		if err := w.host.Rewrite(w.config() + stable(2)); err != nil {
			t.Fatal(err)
		}
		old := w.pluginPIDs(t)
		if err := w.host.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		// The old plugins stop only after the new edge is in service.
		w.waitGone(t, old)
		checkAdded(t, false)
		if got := w.wrongLogin(t); got != http.StatusUnauthorized {
			t.Fatalf("wrong login after a reload that changed rate_limit = %d, want 401", got)
		}
		load.progress(t)
	})
	load.stop(t)
}

// startEdgeWorld is startWorld with edge blocks added to the config.
func startEdgeWorld(t *testing.T, edge string) *world {
	t.Helper()
	w := &world{tokens: filepath.Join(t.TempDir(), "tokens.json")}
	w.admin = mint(t, w.tokens, "root", "admin")
	w.operator = mint(t, w.tokens, "alice", "operator")
	w.channel = mint(t, w.tokens, "telegram-adapter", "channel")
	w.host = testenv.StartHost(t, w.config()+edge)
	return w
}

// wrongLogin sends POST /v1/login with a wrong Basic password and
// returns the status.
func (w *world) wrongLogin(t *testing.T) int {
	t.Helper()
	resp, _ := send(t, "POST", w.host.URL+"/v1/login", nil, func(r *http.Request) {
		r.SetBasicAuth("alice", "wrong")
	})
	return resp.StatusCode
}

// expectIdentity checks that the echo upstream behind path received the
// caller's identity from the host.
func (w *world) expectIdentity(t *testing.T, path, token, user string) {
	t.Helper()
	_, raw := w.call(t, "GET", path, token, nil)
	var got http.Header
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("GET %s: decode %s: %v", path, raw, err)
	}
	if u := got.Get("X-Gatehouse-User"); u != user {
		t.Fatalf("GET %s: upstream got X-Gatehouse-User %q, want %q", path, u, user)
	}
}
