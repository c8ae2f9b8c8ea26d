package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/host/server"
	"github.com/gatehouse/gatehouse/host/supervisor"
	"github.com/gatehouse/gatehouse/plugin"
)

// chaosDeadline bounds every wait of the chaos tests; it only avoids
// hangs.
const chaosDeadline = 60 * time.Second

// TestChaosHostKilledMidTraffic SIGKILLs the host while clients call it:
// every plugin process, and anything they started, must be gone within a
// few seconds.
func TestChaosHostKilledMidTraffic(t *testing.T) {
	w := startWorld(t)
	var login server.LoginResponse
	w.expect(t, http.StatusOK, "POST", "/v1/login", w.operator, nil, &login)
	load := startLoad(t, w, login.Token)

	if kids := pluginChildren(t, w.host.PID); len(kids) != 3 {
		t.Fatalf("plugin children of the host = %v, want 3", kids)
	}
	tree := descendants(t, w.host.PID)
	w.host.Kill()
	load.halt()

	deadline := time.Now().Add(5 * time.Second)
	for alive := aliveOf(tree); len(alive) > 0; alive = aliveOf(tree) {
		if time.Now().After(deadline) {
			t.Fatalf("processes %v of the killed host still alive", alive)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// killAndWait SIGKILLs the plugin of block key and waits until a new
// process of it is ready with one more restart counted. It returns the
// new PID.
func (c *chaos) killAndWait(t *testing.T, key string) int {
	t.Helper()
	before := c.waitReady(t, key, 0)
	if err := syscall.Kill(before.PID, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %s pid %d: %v", key, before.PID, err)
	}
	after := c.waitReady(t, key, before.PID)
	if after.Restarts <= before.Restarts {
		t.Fatalf("%s restarts = %d after a kill, want more than %d", key, after.Restarts, before.Restarts)
	}
	c.waitProgress(t)
	return after.PID
}

// waitReady waits until the plugin of block key is ready in a process
// other than old.
func (c *chaos) waitReady(t *testing.T, key string, old int) supervisor.Status {
	t.Helper()
	deadline := time.Now().Add(chaosDeadline)
	var last supervisor.Status
	for {
		if c.w.host.Exited() {
			t.Fatalf("host exited while %s was restarting: %v", key, c.w.host.Wait(0))
		}
		for _, st := range c.tryPlugins() {
			if st.Key == key {
				last = st
			}
		}
		if last.State == supervisor.StateReady && last.PID > 0 && last.PID != old {
			return last
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready again after %v: %+v", key, chaosDeadline, last)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// tryPlugins reads /v1/plugins; nil while the host cannot answer it (the
// auth plugin is down).
func (c *chaos) tryPlugins() []supervisor.Status {
	got, raw, err := c.send("GET", "/v1/plugins", c.w.operator, nil)
	if err != nil || got != http.StatusOK {
		return nil
	}
	var out struct{ Plugins []supervisor.Status }
	if json.Unmarshal(raw, &out) != nil {
		return nil
	}
	return out.Plugins
}

// plugins returns the status of every plugin, all of them ready.
func (c *chaos) plugins(t *testing.T) []supervisor.Status {
	t.Helper()
	var out []supervisor.Status
	for _, key := range chaosKeys {
		out = append(out, c.waitReady(t, key, 0))
	}
	return out
}

// waitProgress waits until the workers have made some more requests.
func (c *chaos) waitProgress(t *testing.T) {
	t.Helper()
	target := c.requests.Load() + 4*chaosWorkers
	deadline := time.Now().Add(chaosDeadline)
	for c.requests.Load() < target {
		if time.Now().After(deadline) {
			t.Fatal("chaos load made no progress")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// report fails the test with what the workers saw go wrong.
func (c *chaos) report(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	t.Logf("%d requests, %d answered 503, %d pairings acknowledged, %d refused",
		c.requests.Load(), c.unavailable.Load(), len(c.acked), len(c.refused))
	if n := len(c.violations); n > 0 {
		t.Errorf("%d violations; the first:\n%s", n, strings.Join(c.violations[:min(n, 20)], "\n"))
	}
	if c.unavailable.Load() == 0 {
		t.Error("no request saw a plugin down: the kills did not reach the traffic")
	}
	if len(c.acked) == 0 || len(c.refused) == 0 {
		t.Error("the workers acknowledged no approval or refused no request")
	}
}

// checkAcknowledged checks, with every plugin back, that each approval
// answered 200 is paired, listed and audited, and that no refused
// request is.
func (c *chaos) checkAcknowledged(t *testing.T) {
	t.Helper()
	var all []plugin.PairedChannel
	c.w.expect(t, http.StatusOK, "GET", "/v1/pairing/paired", c.w.operator, nil, &all)
	listed := map[string]bool{}
	for _, pc := range all {
		listed[pc.ChannelType+"/"+pc.ChannelID] = true
	}
	audited := c.approvedInAudit(t)

	for key := range c.acked {
		ct, id, _ := strings.Cut(key, "/")
		if !c.w.isPaired(t, ct, id) || !listed[key] || !audited[key] {
			t.Errorf("acknowledged pairing %s: is-paired %v, listed %v, audited %v; want all true",
				key, c.w.isPaired(t, ct, id), listed[key], audited[key])
		}
	}
	for key := range c.refused {
		ct, id, _ := strings.Cut(key, "/")
		if c.w.isPaired(t, ct, id) || listed[key] || audited[key] {
			t.Errorf("denied request %s is paired, listed or audited as approved", key)
		}
	}
}

// approvedInAudit returns the channels with an "approved" audit record
// by alice, reading every page.
func (c *chaos) approvedInAudit(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	cursor := ""
	for {
		var page server.List[plugin.AuditRecord]
		path := "/v1/pairing/audit?limit=500&cursor=" + cursor
		c.w.expect(t, http.StatusOK, "GET", path, c.w.operator, nil, &page)
		for _, a := range page.Items {
			if a.Action == "approved" && a.Actor == "alice" {
				out[a.ChannelType+"/"+a.ChannelID] = true
			}
		}
		if page.NextCursor == "" {
			return out
		}
		cursor = page.NextCursor
	}
}

// checkNoneLeft stops the host and checks that no plugin process it ever
// ran, nor any process of its tree, is left.
func (c *chaos) checkNoneLeft(t *testing.T, seen map[int]bool) {
	t.Helper()
	pids := descendants(t, c.w.host.PID)
	for pid := range seen {
		pids = append(pids, pid)
	}
	if err := c.w.host.Stop(); err != nil {
		t.Errorf("host stop after the chaos: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for alive := aliveOf(pids); len(alive) > 0; alive = aliveOf(pids) {
		if time.Now().After(deadline) {
			t.Fatalf("processes %v still alive after the host stopped", alive)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// descendants returns every process below pid, read from /proc.
func descendants(t *testing.T, pid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("read /proc: %v", err)
	}
	children := map[int][]int{}
	for _, e := range entries {
		if p, err := strconv.Atoi(e.Name()); err == nil {
			children[parentOf(p)] = append(children[parentOf(p)], p)
		}
	}
	var out []int
	for queue := children[pid]; len(queue) > 0; queue = queue[1:] {
		out = append(out, queue[0])
		queue = append(queue, children[queue[0]]...)
	}
	return out
}
