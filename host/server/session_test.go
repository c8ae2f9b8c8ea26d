package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/plugin"
)

func TestSessionLifecycle(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.Policy.Sessions = config.SessionSettings{CookieName: "sess", CookieSecure: true}
	})
	resp, raw := e.do("POST", "/v1/login", e.operator, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login = %d %s", resp.StatusCode, raw)
	}
	var login LoginResponse
	if err := json.Unmarshal(raw, &login); err != nil {
		t.Fatal(err)
	}
	ck := resp.Cookies()
	if len(ck) != 1 || ck[0].Name != "sess" || ck[0].Value != login.Token ||
		!ck[0].HttpOnly || !ck[0].Secure || ck[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("login cookies = %+v, want one HttpOnly Secure SameSite=Strict sess", ck)
	}

	t.Run("store keeps only the digest", func(t *testing.T) {
		if _, _, err := e.backend.store.Lookup(t.Context(), login.Token); err == nil {
			t.Fatal("store finds the session under the raw token")
		}
		p, _, err := e.backend.store.Lookup(t.Context(), SessionKey(login.Token))
		if err != nil || p.UserID != "alice" {
			t.Fatalf("Lookup(digest) = %+v, %v, want alice", p, err)
		}
	})

	var id Identity
	e.expect(http.StatusOK, "GET", "/v1/whoami", login.Token, nil, &id)
	if id.Via != "session" || id.Principal.UserID != "alice" || !id.Can(config.ScopePairingApprove) {
		t.Fatalf("whoami = %+v, want alice via session with pairing.approve", id)
	}

	e.expect(http.StatusBadRequest, "POST", "/v1/logout", e.operator, nil, nil)
	e.expect(http.StatusNoContent, "POST", "/v1/logout", login.Token, nil, nil)
	e.expect(http.StatusUnauthorized, "GET", "/v1/whoami", login.Token, nil, nil)
	e.expect(http.StatusUnauthorized, "POST", "/v1/logout", login.Token, nil, nil)
	e.expect(http.StatusUnauthorized, "GET", "/v1/whoami", SessionPrefix+"forged", nil, nil)
}

func TestLoginBody(t *testing.T) {
	e := newEnv(t, nil)
	var seen string
	e.backend.chain = []AuthPlugin{{Name: "basic", Auth: basicAuth(&seen)}}

	var login LoginResponse
	e.expect(http.StatusOK, "POST", "/v1/login", "", LoginRequest{Username: "bob", Password: "pw"}, &login)
	if seen != "bob:pw" || login.Principal.UserID != "bob" {
		t.Fatalf("login with a body: plugin saw %q, principal %+v; want bob:pw", seen, login.Principal)
	}
	e.expect(http.StatusBadRequest, "POST", "/v1/login", "", `{"username":"bob","pass":"x"}`, nil)
	e.expect(http.StatusBadRequest, "POST", "/v1/login", "", `{"password":"x"}`, nil)
}

// TestNoSecretInLogs runs a login and requests with every kind of
// credential and checks that none reaches the log.
func TestNoSecretInLogs(t *testing.T) {
	e := newEnv(t, nil)
	var seen string
	e.backend.chain = append(e.backend.chain, AuthPlugin{Name: "basic", Auth: basicAuth(&seen)})
	var login LoginResponse
	e.expect(http.StatusOK, "POST", "/v1/login", e.operator, nil, &login)
	e.expect(http.StatusOK, "GET", "/v1/whoami", login.Token, nil, nil)
	e.expect(http.StatusOK, "POST", "/v1/login", "", LoginRequest{Username: "bob", Password: "hunter2"}, nil)
	e.do("GET", "/v1/whoami", "ght_"+strings.Repeat("Z", 43), nil)

	logs := e.logs.String()
	if !strings.Contains(logs, "/v1/whoami") {
		t.Fatalf("requests not logged:\n%s", logs)
	}
	for _, secret := range []string{e.operator, login.Token, "hunter2", strings.Repeat("Z", 43)} {
		if strings.Contains(logs, secret) {
			t.Errorf("log holds a secret %.8s…:\n%s", secret, logs)
		}
	}
}

func TestPairedListing(t *testing.T) {
	e := newEnv(t, nil)
	const n = plugin.DefaultPageLimit + 20 // two store pages
	for i := range n {
		pairChannel(t, e, fmt.Sprintf("c%04d", i))
	}

	var all []plugin.PairedChannel
	e.expect(http.StatusOK, "GET", "/v1/pairing/paired", e.operator, nil, &all)
	if len(all) != n || all[0].ChannelID == all[n-1].ChannelID {
		t.Fatalf("streamed listing has %d channels, want %d distinct", len(all), n)
	}

	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > n {
			t.Fatal("paging does not end")
		}
		var page List[plugin.PairedChannel]
		e.expect(http.StatusOK, "GET", "/v1/pairing/paired?limit=200&cursor="+cursor, e.operator, nil, &page)
		for _, pc := range page.Items {
			seen[pc.ChannelID] = true
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != n {
		t.Fatalf("paging saw %d channels, want %d", len(seen), n)
	}
}

// pairChannel pairs web/id straight through the store.
func pairChannel(t *testing.T, e *env, id string) {
	t.Helper()
	ctx := t.Context()
	pr, _, err := e.backend.store.GenerateCode(ctx, plugin.CodeRequest{ChannelType: "web", ChannelID: id})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.backend.store.Approve(ctx, plugin.Approval{ChannelType: "web", Code: pr.Code, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
}
