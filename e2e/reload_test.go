package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/host/server"
	"github.com/gatehouse/gatehouse/host/supervisor"
)

// TestReloadUnderLoad reloads through the API and SIGHUP while clients
// keep calling the auth chain, the session store and the pairing store;
// no request may fail. A broken config is refused and the old set keeps
// serving.
func TestReloadUnderLoad(t *testing.T) {
	w := startWorld(t)
	var login server.LoginResponse
	w.expect(t, http.StatusOK, "POST", "/v1/login", w.operator, nil, &login)
	load := startLoad(t, w, login.Token)

	for range 2 {
		old := w.pluginPIDs(t)
		w.expect(t, http.StatusOK, "POST", "/v1/admin/reload", w.admin, nil, nil)
		w.waitGone(t, old)
		load.progress(t)
	}

	old := w.pluginPIDs(t)
	if err := w.host.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	w.waitGone(t, old)
	load.progress(t)

	t.Run("broken config is refused", func(t *testing.T) {
		before := w.pluginPIDs(t)
		// A typo inside the token-auth block.
		broken := strings.Replace(w.config(), "tokens_file", "tokens_fil", 1)
		if err := w.host.Rewrite(broken); err != nil {
			t.Fatal(err)
		}
		got, raw := w.call(t, "POST", "/v1/admin/reload", w.admin, nil)
		if got != http.StatusBadRequest || !strings.Contains(string(raw), "tokens_fil") {
			t.Fatalf("reload of a broken config = %d %s, want 400 naming tokens_fil", got, raw)
		}
		w.host.Signal(syscall.SIGHUP)
		w.waitLog(t, 2, "reload refused")
		load.progress(t)
		if after := w.pluginPIDs(t); !slices.Equal(before, after) {
			t.Fatalf("plugins after a refused reload = %v, want the old %v", after, before)
		}
	})

	w.expect(t, http.StatusForbidden, "POST", "/v1/admin/reload", w.operator, nil, nil)
	load.stop(t)
}

// loadGen keeps clients busy against the host.
type loadGen struct {
	done     chan struct{}
	wg       sync.WaitGroup
	requests atomic.Int64
	failures atomic.Int64
	mu       sync.Mutex
	first    string // first failure
}

// startLoad keeps four clients asking is-paired, who-am-I and opening a
// request until stopped.
func startLoad(t *testing.T, w *world, session string) *loadGen {
	return startCalls(t, []func() (int, error){
		func() (int, error) {
			return w.status("GET", "/v1/pairing/status?channel_type=load&channel_id=1", w.channel, nil)
		},
		func() (int, error) { return w.status("GET", "/v1/whoami", session, nil) },
		func() (int, error) {
			return w.status("POST", "/v1/pairing/requests", w.channel,
				server.OpenRequest{ChannelType: "load", ChannelID: "1"})
		},
	})
}

// startCalls keeps four clients making calls until stopped.
func startCalls(t *testing.T, calls []func() (int, error)) *loadGen {
	l := &loadGen{done: make(chan struct{})}
	for i := range 4 {
		l.wg.Go(func() {
			for n := i; ; n++ {
				select {
				case <-l.done:
					return
				default:
				}
				code, err := calls[n%len(calls)]()
				l.record(code, err)
			}
		})
	}
	t.Cleanup(l.halt)
	l.progress(t)
	return l
}

func (l *loadGen) record(code int, err error) {
	l.requests.Add(1)
	if err == nil && code/100 == 2 {
		return
	}
	if l.failures.Add(1) == 1 {
		l.mu.Lock()
		l.first = fmt.Sprintf("status %d, error %v", code, err)
		l.mu.Unlock()
	}
}

// progress waits until the clients have made some more requests.
func (l *loadGen) progress(t *testing.T) {
	t.Helper()
	target := l.requests.Load() + 20
	deadline := time.Now().Add(30 * time.Second)
	for l.requests.Load() < target {
		if time.Now().After(deadline) {
			t.Fatal("load made no progress")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (l *loadGen) halt() {
	select {
	case <-l.done:
	default:
		close(l.done)
	}
	l.wg.Wait()
}

func (l *loadGen) stop(t *testing.T) {
	t.Helper()
	l.halt()
	if n := l.failures.Load(); n > 0 {
		t.Fatalf("%d of %d requests failed during reloads; first: %s", n, l.requests.Load(), l.first)
	}
	t.Logf("%d requests, none failed", l.requests.Load())
}

// status sends a request without failing the test, for use off the test
// goroutine.
func (w *world) status(method, path, token string, body any) (int, error) {
	b, err := json.Marshal(body)
	if err != nil || body == nil {
		b = nil
	}
	req, err := http.NewRequest(method, w.host.URL+path, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// pluginPIDs returns the PIDs of the running plugins, sorted.
func (w *world) pluginPIDs(t *testing.T) []int {
	t.Helper()
	var out struct{ Plugins []supervisor.Status }
	w.expect(t, http.StatusOK, "GET", "/v1/plugins", w.admin, nil, &out)
	var pids []int
	for _, st := range out.Plugins {
		pids = append(pids, st.PID)
	}
	slices.Sort(pids)
	return pids
}

// waitGone waits until the plugin processes pids have exited: the old
// set is retired once its requests are done.
func (w *world) waitGone(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(aliveOf(pids)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("old plugins %v still alive after reload\n%s", aliveOf(pids), w.host.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitLog waits until the host log holds phrase n times.
func (w *world) waitLog(t *testing.T, n int, phrase string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(w.host.Log(), phrase) < n {
		if time.Now().After(deadline) {
			t.Fatalf("host log has %q fewer than %d times:\n%s", phrase, n, w.host.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
