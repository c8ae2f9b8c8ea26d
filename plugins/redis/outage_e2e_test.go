package main_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/host/server"
	"github.com/gatehouse/gatehouse/host/supervisor"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/plugin"
)

// tally counts the answers of one host during the outage.
type tally struct{ ok, unavailable atomic.Int64 }

// testOutage stops Redis while both hosts serve status and whoami: every
// answer is right or a refusal, never a wrong "paired" or a wrong
// identity; after Redis returns both hosts answer again with the same
// plugin processes.
func testOutage(t *testing.T, c *cluster) {
	a := c.hosts[0]
	code := c.open(t, a, "chat", "kept")
	expect(t, a, http.StatusOK, "POST", "/v1/pairing/approve", c.operator,
		server.ApproveRequest{ChannelType: "chat", Code: code}, nil)
	var login server.LoginResponse
	expect(t, a, http.StatusOK, "POST", "/v1/login", c.operator, nil, &login)
	pids := pluginPIDs(t, c)

	var tallies [2]tally
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, h := range c.hosts {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				probe(t, c, h, login.Token, &tallies[i])
			}
		})
	}

	waitAll(t, "traffic answered", &tallies, func(x *tally) *atomic.Int64 { return &x.ok }, 0)
	if err := c.redis.Stop(); err != nil {
		t.Fatal(err)
	}
	waitAll(t, "refusals while Redis is down", &tallies, func(x *tally) *atomic.Int64 { return &x.unavailable }, 5)
	if err := c.redis.Restart(); err != nil {
		t.Fatal(err)
	}
	waitAll(t, "answers after Redis returns", &tallies, func(x *tally) *atomic.Int64 { return &x.ok }, 5)
	close(stop)
	wg.Wait()

	if got := pluginPIDs(t, c); !equalPIDs(got, pids) {
		t.Errorf("plugin processes after the outage = %v, want the same as before %v", got, pids)
	}
}

// probe asks h one round of questions whose right answers are known.
func probe(t *testing.T, c *cluster, h *testenv.Host, session string, x *tally) {
	count := func(what string, code int, raw []byte) bool {
		switch code {
		case http.StatusOK:
			x.ok.Add(1)
			return true
		case http.StatusServiceUnavailable:
			x.unavailable.Add(1)
		default:
			t.Errorf("%s on %s = %d %s, want 200 or 503", what, h.Addr, code, raw)
		}
		return false
	}

	var st struct{ Paired bool }
	code, raw := do(t, h, "GET", statusPath("chat", "kept"), c.channel, nil)
	if count("status(kept)", code, raw) && (json.Unmarshal(raw, &st) != nil || !st.Paired) {
		t.Errorf("status(kept) on %s = %s, want paired", h.Addr, raw)
	}
	code, raw = do(t, h, "GET", statusPath("chat", "stranger"), c.channel, nil)
	if count("status(stranger)", code, raw) && (json.Unmarshal(raw, &st) != nil || st.Paired) {
		t.Errorf("status(stranger) on %s = %s, want not paired", h.Addr, raw)
	}

	var id server.Identity
	code, raw = do(t, h, "GET", "/v1/whoami", session, nil)
	if code == http.StatusUnauthorized {
		return // fail closed is acceptable while the store is down
	}
	if count("whoami", code, raw) && (json.Unmarshal(raw, &id) != nil || id.Principal.UserID != "alice") {
		t.Errorf("whoami on %s = %s, want alice", h.Addr, raw)
	}
}

// waitAll waits until the counter that pick selects has grown by more
// than n on every host.
func waitAll(t *testing.T, what string, tallies *[2]tally, pick func(*tally) *atomic.Int64, n int64) {
	t.Helper()
	var base [2]int64
	for i := range tallies {
		base[i] = pick(&tallies[i]).Load()
	}
	deadline := time.Now().Add(60 * time.Second)
	for i := range tallies {
		for pick(&tallies[i]).Load() <= base[i]+n {
			if time.Now().After(deadline) {
				t.Fatalf("%s: host %d still at %d after 60s", what, i, pick(&tallies[i]).Load())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// pluginPIDs lists the PIDs of the redis plugin instances of every host.
func pluginPIDs(t *testing.T, c *cluster) []int {
	t.Helper()
	var pids []int
	for _, h := range c.hosts {
		var out struct{ Plugins []supervisor.Status }
		expect(t, h, http.StatusOK, "GET", "/v1/plugins", c.operator, nil, &out)
		for _, s := range out.Plugins {
			if s.Plugin == "redis" && s.Protocol != plugin.ProtocolAuth {
				pids = append(pids, s.PID)
			}
		}
	}
	if len(pids) != 4 {
		t.Fatalf("redis plugin PIDs = %v, want 4 (pairing and session on two hosts)", pids)
	}
	return pids
}

func equalPIDs(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
