package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/host/forward"
	"github.com/gatehouse/gatehouse/host/proxy"
	"github.com/gatehouse/gatehouse/host/ratelimit"
)

// answer is what a probe expects from one edge; an empty body is not
// checked.
type answer struct {
	status int
	body   string
}

// edgeProbe is a request whose answer tells the old edge from the new.
type edgeProbe struct {
	name     string
	path     string
	old, new answer
}

// edgeProbes are sent with the channel token, whose role lacks
// pairing.approve. The old edge guards /admin and proxies /old; the new
// one guards /ops and proxies /new.
var edgeProbes = []edgeProbe{
	{"rule dropped", "/v1/forward-auth/admin/x", answer{403, ""}, answer{200, ""}},
	{"rule added", "/v1/forward-auth/ops/x", answer{200, ""}, answer{403, ""}},
	{"route dropped", "/old/x", answer{200, "old"}, answer{404, ""}},
	{"route added", "/new/x", answer{404, ""}, answer{200, "new"}},
}

// judge names the edge that answered p: "old", "new", or "" for neither.
func (p edgeProbe) judge(status int, body string) string {
	match := func(a answer) bool {
		return status == a.status && (a.body == "" || body == a.body)
	}
	switch {
	case match(p.old):
		return "old"
	case match(p.new):
		return "new"
	}
	return ""
}

// TestSetEdgeUnderTraffic swaps the edge while clients call forward auth
// and the proxied routes: every answer comes from the old or the new
// edge, a client never sees the old one after the new, a proxied request
// in flight finishes on the old route, and once SetEdge returns only the
// new rules and routes apply.
func TestSetEdgeUnderTraffic(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	oldUp := upstream(t, "old", entered, release)
	newUp := upstream(t, "new", nil, nil)
	e := newEnv(t, func(o *Options) { o.Edge = edgeFor(t, "/admin", "/old", oldUp) })

	for _, p := range edgeProbes {
		if status, body := e.probe(t, p.path); p.judge(status, body) != "old" {
			t.Fatalf("before the swap: %s: GET %s = %d %q, want %v", p.name, p.path, status, body, p.old)
		}
	}
	load := e.startEdgeLoad()
	load.progress(t)

	slow := make(chan string, 1)
	go func() {
		status, body, err := e.get(context.Background(), "/old/slow")
		slow <- fmt.Sprintf("%d %s %v", status, body, err)
	}()
	<-entered

	built, err := e.srv.BuildEdge(edgeFor(t, "/ops", "/new", newUp))
	if err != nil {
		t.Fatalf("BuildEdge = %v", err)
	}
	e.srv.SetEdge(built)

	for _, p := range edgeProbes {
		if status, body := e.probe(t, p.path); p.judge(status, body) != "new" {
			t.Errorf("after the swap: %s: GET %s = %d %q, want %v", p.name, p.path, status, body, p.new)
		}
	}
	close(release)
	if got, want := <-slow, "200 old <nil>"; got != want {
		t.Errorf("request in flight across the swap = %s, want %s", got, want)
	}
	load.progress(t)
	load.stop(t)
}

// TestBuildEdgeRefusesBadEdge pins that an edge that does not build
// leaves the running one in service.
func TestBuildEdgeRefusesBadEdge(t *testing.T) {
	up := upstream(t, "old", nil, nil)
	e := newEnv(t, func(o *Options) { o.Edge = edgeFor(t, "/admin", "/old", up) })

	tests := []struct {
		name string
		edge Edge
	}{
		{"realm with a quote", Edge{Forward: forward.Options{Realm: `a"b`}}},
		{"route without prefix or host", Edge{Routes: []proxy.Route{{Name: "x", Upstream: &url.URL{Scheme: "http", Host: "h"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := e.srv.BuildEdge(tt.edge); err == nil {
				t.Fatal("BuildEdge = nil error, want one")
			}
			if status, body := e.probe(t, "/old/x"); status != 200 || body != "old" {
				t.Fatalf("GET /old/x = %d %q, want 200 old", status, body)
			}
		})
	}
}

// TestSetEdgeLimits pins that an edge given the running Guard keeps what
// it has counted, and a new Guard starts afresh.
func TestSetEdgeLimits(t *testing.T) {
	cfg := ratelimit.Config{LoginPerMinute: 1, Burst: 1}
	guard := ratelimit.New(cfg)
	e := newEnv(t, func(o *Options) { o.Edge.Limits = guard })
	e.backend.chain = []AuthPlugin{{Name: "password", Auth: passwordAuth{}}}

	if got := e.wrongLogin(t); got != http.StatusUnauthorized {
		t.Fatalf("first wrong login = %d, want 401", got)
	}
	tests := []struct {
		name   string
		limits *ratelimit.Guard
		want   int
	}{
		{"same guard keeps the count", guard, http.StatusTooManyRequests},
		{"new guard starts afresh", ratelimit.New(cfg), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			built, err := e.srv.BuildEdge(Edge{Limits: tt.limits})
			if err != nil {
				t.Fatalf("BuildEdge = %v", err)
			}
			e.srv.SetEdge(built)
			if got := e.wrongLogin(t); got != tt.want {
				t.Fatalf("wrong login after SetEdge = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestSetEdgeKeepsEvents pins that an event stream opened before a swap
// still receives events published after it.
func TestSetEdgeKeepsEvents(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url+"/v1/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.operator)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /v1/events: %v", err)
	}
	defer resp.Body.Close()

	built, err := e.srv.BuildEdge(Edge{})
	if err != nil {
		t.Fatalf("BuildEdge = %v", err)
	}
	e.srv.SetEdge(built)
	e.expect(http.StatusCreated, "POST", "/v1/pairing/requests", e.channel,
		OpenRequest{ChannelType: "test", ChannelID: "1"}, nil)

	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		if lines.Text() == "event: pairing.requested" {
			return
		}
	}
	t.Fatalf("event stream ended without pairing.requested: %v", lines.Err())
}

// edgeFor requires pairing.approve under rulePrefix and proxies
// routePrefix to up.
func edgeFor(t *testing.T, rulePrefix, routePrefix, up string) Edge {
	t.Helper()
	u, err := url.Parse(up)
	if err != nil {
		t.Fatal(err)
	}
	return Edge{
		Forward: forward.Options{Rules: []forward.Rule{
			{PathPrefix: rulePrefix, Scopes: []string{config.ScopePairingApprove}},
		}},
		Routes: []proxy.Route{{Name: strings.TrimPrefix(routePrefix, "/"), Prefix: routePrefix, Upstream: u}},
	}
}

// upstream answers name to every request. A path ending in /slow first
// signals entered and waits for release.
func upstream(t *testing.T, name string, entered chan<- struct{}, release <-chan struct{}) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/slow") {
			entered <- struct{}{}
			<-release
		}
		io.WriteString(w, name)
	}))
	t.Cleanup(s.Close)
	return s.URL
}

// get sends GET path with the channel token, off the test goroutine.
func (e *env) get(ctx context.Context, path string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url+path, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+e.channel)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// probe is get on the test goroutine.
func (e *env) probe(t *testing.T, path string) (int, string) {
	t.Helper()
	status, body, err := e.get(t.Context(), path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return status, body
}

// wrongLogin sends POST /v1/login with a wrong Basic password.
func (e *env) wrongLogin(t *testing.T) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.url+"/v1/login", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("alice", "wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// edgeLoad sends the edge probes from a few clients until stopped.
type edgeLoad struct {
	done     chan struct{}
	wg       sync.WaitGroup
	requests atomic.Int64
	mu       sync.Mutex // guards problems
	problems []string
}

func (e *env) startEdgeLoad() *edgeLoad {
	l := &edgeLoad{done: make(chan struct{})}
	for i := range 4 {
		l.wg.Go(func() { l.client(e, i) })
	}
	e.t.Cleanup(l.halt)
	return l
}

// client sends the probes in turn. Once it has seen the new edge, an
// answer from the old one is a problem: the swap went backwards.
func (l *edgeLoad) client(e *env, first int) {
	seenNew := false
	for n := first; ; n++ {
		select {
		case <-l.done:
			return
		default:
		}
		p := edgeProbes[n%len(edgeProbes)]
		status, body, err := e.get(context.Background(), p.path)
		l.requests.Add(1)
		switch got := p.judge(status, body); {
		case err != nil || got == "":
			l.problem("%s: GET %s = %d %q %v, want %v or %v", p.name, p.path, status, body, err, p.old, p.new)
		case got == "old" && seenNew:
			l.problem("%s: GET %s answered by the old edge after the new one", p.name, p.path)
		case got == "new":
			seenNew = true
		}
	}
}

func (l *edgeLoad) problem(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.problems = append(l.problems, fmt.Sprintf(format, args...))
}

// progress waits until the clients have sent some more requests.
func (l *edgeLoad) progress(t *testing.T) {
	t.Helper()
	target := l.requests.Load() + 40
	deadline := time.Now().Add(30 * time.Second)
	for l.requests.Load() < target {
		if time.Now().After(deadline) {
			t.Fatal("edge load made no progress")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (l *edgeLoad) halt() {
	select {
	case <-l.done:
	default:
		close(l.done)
	}
	l.wg.Wait()
}

// stop halts the clients and fails t with the first problems seen.
func (l *edgeLoad) stop(t *testing.T) {
	t.Helper()
	l.halt()
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.problems); n > 0 {
		t.Fatalf("%d of %d requests went wrong; first: %s", n, l.requests.Load(), strings.Join(l.problems[:min(n, 3)], "; "))
	}
}
