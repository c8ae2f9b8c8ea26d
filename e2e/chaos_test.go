package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/host/server"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/plugins/token-auth/tokens"
)

// Shape of the chaos run: workers calling the host while every plugin is
// killed killRounds times. requestTimeout only guards against hangs; no
// request may reach it.
const (
	chaosWorkers   = 8
	killRounds     = 3
	requestTimeout = 20 * time.Second
	retryFor       = 15 * time.Second
)

// chaosKeys are the plugin blocks of testenv.TokenSQLiteConfig, killed in this order.
var chaosKeys = []string{"auth.tokens", "pairing.sqlite", "session.sqlite"}

// TestChaosPluginKillsUnderLoad SIGKILLs the auth, pairing and session
// plugins one after another, several rounds, while workers open, approve
// and deny pairings, ask is-paired and call whoami with good and bad
// credentials. Nothing may be wrongly allowed, no acknowledged pairing may
// be lost, failures may only be the documented codes, and every plugin
// must come back after each kill.
func TestChaosPluginKillsUnderLoad(t *testing.T) {
	w := startChaosWorld(t)
	c := newChaos(t, w)
	seen := map[int]bool{}
	for _, st := range c.plugins(t) {
		seen[st.PID] = true
	}

	c.start()
	c.waitProgress(t)
	for range killRounds {
		for _, key := range chaosKeys {
			seen[c.killAndWait(t, key)] = true
		}
	}
	c.waitProgress(t)
	c.stop()

	c.report(t)
	c.checkAcknowledged(t)
	if w.host.Exited() {
		t.Fatalf("host exited during the chaos: %v", w.host.Wait(0))
	}
	c.checkNoneLeft(t, seen)
}

// noApproveLimit turns off the limit of failed approvals: the workers'
// refused approvals would otherwise lock the operator out, since every
// client shares the loopback address.
const noApproveLimit = `
rate_limit {
  approve_per_minute = 0
}
`

// startChaosWorld is startWorld with noApproveLimit.
func startChaosWorld(t *testing.T) *world {
	t.Helper()
	w := &world{tokens: filepath.Join(t.TempDir(), "tokens.json")}
	w.admin = mint(t, w.tokens, "root", "admin")
	w.operator = mint(t, w.tokens, "alice", "operator")
	w.channel = mint(t, w.tokens, "telegram-adapter", "channel")
	w.host = testenv.StartHost(t, w.config()+noApproveLimit)
	return w
}

// chaos is the load of one chaos run and what it observed.
type chaos struct {
	w       *world
	client  *http.Client
	session string   // a live session of alice
	bad     []string // credentials that must never be admitted
	done    chan struct{}
	wg      sync.WaitGroup

	requests    atomic.Int64
	unavailable atomic.Int64 // 503 answers

	mu         sync.Mutex // guards the fields below
	violations []string
	acked      map[string]bool // "type/id" approved with a 200
	refused    map[string]bool // "type/id" never approved
}

// newChaos logs alice in, and gathers the credentials that must never
// pass: a logged-out session, a session never minted, an unknown and a
// revoked operator token, a malformed bearer and none at all.
func newChaos(t *testing.T, w *world) *chaos {
	t.Helper()
	c := &chaos{
		w: w, done: make(chan struct{}),
		client: &http.Client{Timeout: requestTimeout, Transport: &http.Transport{
			MaxIdleConnsPerHost: 2 * chaosWorkers,
		}},
		acked: map[string]bool{}, refused: map[string]bool{},
	}
	var login server.LoginResponse
	w.expect(t, http.StatusOK, "POST", "/v1/login", w.operator, nil, &login)
	c.session = login.Token

	var dead server.LoginResponse
	w.expect(t, http.StatusOK, "POST", "/v1/login", w.operator, nil, &dead)
	w.expect(t, http.StatusNoContent, "POST", "/v1/logout", dead.Token, nil, nil)
	c.bad = []string{
		dead.Token,
		server.NewSessionToken(),
		"ght_" + strings.Repeat("A", 43),
		revokedToken(t, w),
		"not-a-token",
		"",
	}
	for _, cred := range c.bad {
		w.expect(t, http.StatusUnauthorized, "GET", "/v1/whoami", cred, nil, nil)
	}
	t.Cleanup(func() {
		c.stop()
		c.client.CloseIdleConnections()
	})
	return c
}

// revokedToken mints an operator token, checks the host admits it,
// revokes it and returns it.
func revokedToken(t *testing.T, w *world) string {
	t.Helper()
	token, rec, err := tokens.Mint(w.tokens, "mallory", "operator", time.Now())
	if err != nil {
		t.Fatalf("Mint(mallory) = %v", err)
	}
	w.expect(t, http.StatusOK, "GET", "/v1/whoami", token, nil, nil)
	if err := tokens.Revoke(w.tokens, rec.ID, time.Now()); err != nil {
		t.Fatalf("Revoke(%s) = %v", rec.ID, err)
	}
	return token
}

func (c *chaos) start() {
	for i := range chaosWorkers {
		c.wg.Go(func() { c.work(i) })
	}
}

func (c *chaos) stop() {
	select {
	case <-c.done:
	default:
		close(c.done)
	}
	c.wg.Wait()
}

func (c *chaos) stopped() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// work runs one worker: a pairing story, then calls that must succeed
// or fail closed, then calls that must never succeed.
func (c *chaos) work(worker int) {
	ct := fmt.Sprintf("chaos%d", worker)
	for n := 0; !c.stopped(); n++ {
		c.pairingStory(ct, fmt.Sprintf("c%d", n), n%3 == 2)
		c.whoami(c.session, http.StatusOK, http.StatusServiceUnavailable)
		c.never(c.bad[n%len(c.bad)], n/len(c.bad))
		c.status(ct, fmt.Sprintf("ghost%d", n), false)
	}
}

// pairingStory opens a request for ct/id, then approves it, or denies it
// when deny is set, and asks is-paired.
func (c *chaos) pairingStory(ct, id string, deny bool) {
	open := server.OpenRequest{ChannelType: ct, ChannelID: id, UserName: "chaos"}
	code, raw := c.retry("POST", "/v1/pairing/requests", c.w.channel, open,
		http.StatusCreated, http.StatusOK, http.StatusTooManyRequests)
	if code != http.StatusCreated && code != http.StatusOK {
		return
	}
	var opened server.OpenResponse
	if !c.decode(raw, &opened) {
		return
	}

	key := ct + "/" + id
	if deny {
		c.record(c.refused, key)
		c.retry("POST", "/v1/pairing/deny", c.w.operator,
			server.DenyRequest{ChannelType: ct, Code: opened.Code}, http.StatusOK, http.StatusNotFound)
		c.status(ct, id, false)
		return
	}

	// The channel token may never approve.
	c.expect("POST", "/v1/pairing/approve", c.w.channel,
		server.ApproveRequest{ChannelType: ct, Code: opened.Code},
		http.StatusForbidden, http.StatusServiceUnavailable)
	c.approve(ct, id, opened.Code)
}

// approve approves code, retrying while the plugins are down. A 404
// after a 503 is a lost answer, not a lost pairing: the approval may have
// happened, so that channel is checked neither way.
func (c *chaos) approve(ct, id, code string) {
	in := server.ApproveRequest{ChannelType: ct, Code: hyphenated(code), UserName: id}
	got, raw, tries := c.retryN("POST", "/v1/pairing/approve", c.w.operator, in,
		http.StatusOK, http.StatusNotFound)
	switch {
	case got == http.StatusNotFound && tries == 1:
		c.violate("approve %s/%s: code of an acknowledged request is gone: %s", ct, id, raw)
	case got == http.StatusOK:
		var pc plugin.PairedChannel
		if c.decode(raw, &pc) && (pc.ChannelType != ct || pc.ChannelID != id) {
			c.violate("approve %s/%s answered %s", ct, id, raw)
		}
		c.record(c.acked, ct+"/"+id)
		c.status(ct, id, true)
	}
}

// status asks is-paired as the channel adapter: want, or 503.
func (c *chaos) status(ct, id string, want bool) {
	path := "/v1/pairing/status?channel_type=" + ct + "&channel_id=" + id
	got, raw := c.expect("GET", path, c.w.channel, nil, http.StatusOK, http.StatusServiceUnavailable)
	var st struct{ Paired *bool }
	if got == http.StatusOK && c.decode(raw, &st) && (st.Paired == nil || *st.Paired != want) {
		c.violate("is-paired %s/%s = %s, want paired %v", ct, id, raw, want)
	}
}

func (c *chaos) whoami(cred string, allowed ...int) {
	got, raw := c.expect("GET", "/v1/whoami", cred, nil, allowed...)
	var id server.Identity
	if got == http.StatusOK && c.decode(raw, &id) && id.Principal.UserID != "alice" {
		c.violate("whoami by alice's session = %s", raw)
	}
}

// never sends a credential that must not be admitted to one of the
// routes, chosen by n.
func (c *chaos) never(cred string, n int) {
	const refused, down = http.StatusUnauthorized, http.StatusServiceUnavailable
	approve := server.ApproveRequest{ChannelType: "chaos0", Code: "ABCD-EFGH"}
	open := server.OpenRequest{ChannelType: "intruder", ChannelID: "x"}
	switch n % 6 {
	case 0:
		c.whoami(cred, refused, down)
	case 1:
		c.expect("POST", "/v1/pairing/requests", cred, open, refused, down)
	case 2:
		c.expect("POST", "/v1/pairing/approve", cred, approve, refused, down)
	case 3:
		c.expect("GET", "/v1/pairing/status?channel_type=chaos0&channel_id=c0", cred, nil, refused, down)
	case 4:
		c.expect("GET", "/v1/plugins", cred, nil, refused, down)
	case 5:
		c.expect("POST", "/v1/login", cred, nil, refused, http.StatusTooManyRequests, down)
	}
}

// retry is retryN without the count of tries.
func (c *chaos) retry(method, path, cred string, body any, allowed ...int) (int, []byte) {
	got, raw, _ := c.retryN(method, path, cred, body, allowed...)
	return got, raw
}

// retryN calls until the answer is not 503 or retryFor has passed, and
// returns the last answer and the number of tries. 503 is always allowed.
func (c *chaos) retryN(method, path, cred string, body any, allowed ...int) (int, []byte, int) {
	allowed = append(allowed, http.StatusServiceUnavailable)
	deadline := time.Now().Add(retryFor)
	for tries := 1; ; tries++ {
		got, raw := c.expect(method, path, cred, body, allowed...)
		if got != http.StatusServiceUnavailable || time.Now().After(deadline) {
			return got, raw, tries
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// expect sends one request and records a violation when it does not
// answer one of the allowed statuses with a well-formed body. It returns
// 0 after a transport error.
func (c *chaos) expect(method, path, cred string, body any, allowed ...int) (int, []byte) {
	c.requests.Add(1)
	got, raw, err := c.send(method, path, cred, body)
	if err != nil {
		c.violate("%s %s: %v", method, path, err)
		return 0, nil
	}
	if got == http.StatusServiceUnavailable {
		c.unavailable.Add(1)
	}
	if !slices.Contains(allowed, got) {
		c.violate("%s %s = %d %s, want one of %v", method, path, got, raw, allowed)
		return got, raw
	}
	if got >= 400 && !wellFormedError(got, raw) {
		c.violate("%s %s = %d with body %q, not the documented error", method, path, got, raw)
	}
	return got, raw
}

func (c *chaos) send(method, path, cred string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.w.host.URL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if cred != "" {
		req.Header.Set("Authorization", "Bearer "+cred)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// wellFormedError reports whether raw is the API's error body with the
// code that belongs to status.
func wellFormedError(status int, raw []byte) bool {
	codes := map[int][]string{
		http.StatusUnauthorized:       {server.CodeUnauthenticated},
		http.StatusForbidden:          {server.CodeForbidden},
		http.StatusNotFound:           {server.CodeNotFound},
		http.StatusTooManyRequests:    {server.CodeTooManyPending, "rate_limited"},
		http.StatusServiceUnavailable: {server.CodeUnavailable},
	}
	var eb server.ErrorBody
	if json.Unmarshal(raw, &eb) != nil || eb.Error.Message == "" {
		return false
	}
	for _, code := range codes[status] {
		if eb.Error.Code == code {
			return true
		}
	}
	return false
}

func (c *chaos) decode(raw []byte, out any) bool {
	if err := json.Unmarshal(raw, out); err != nil {
		c.violate("decode %s: %v", raw, err)
		return false
	}
	return true
}

func (c *chaos) record(set map[string]bool, key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	set[key] = true
}

func (c *chaos) violate(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.violations = append(c.violations, fmt.Sprintf(format, args...))
}
