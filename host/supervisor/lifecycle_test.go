package supervisor_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/host/supervisor"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/prometheus/client_golang/prometheus"
)

func TestRestartsFreeResources(t *testing.T) {
	// Warm up: the first launch starts the host's fork thread for good.
	warm, _ := faultBlock(t)
	if err := start(t, warm, testOptions(nil)).Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	goroutines, fds := settled()

	const restarts = 50
	b, _ := faultBlock(t)
	b.MaxRestarts = restarts + 1
	p := start(t, b, testOptions(nil))
	for i := range restarts {
		_, _ = checkAs(t, p.Auth(), "crash")
		eventually(t, fmt.Sprintf("restart %d", i+1), func() bool {
			st := p.Status()
			return st.State == supervisor.StateReady && st.Restarts == i+1
		})
	}
	if _, err := check(t, p.Auth()); err != nil {
		t.Fatalf("Check() after %d restarts = %v", restarts, err)
	}
	if err := p.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}

	eventually(t, "goroutines and fds back to baseline", func() bool {
		g, f := resources()
		return g <= goroutines+2 && f <= fds+2
	})
}

// settled returns the resource counts once they stop changing.
func settled() (goroutines, fds int) {
	g, f := resources()
	for range 50 {
		time.Sleep(50 * time.Millisecond)
		g2, f2 := resources()
		if g2 == g && f2 == f {
			break
		}
		g, f = g2, f2
	}
	return g, f
}

func TestHostKilledLeavesNothing(t *testing.T) {
	marker := newMarker()
	host := exec.Command(hostBin, pluginDir, marker)
	out, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	host.Stderr = os.Stderr
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = host.Process.Kill(); _ = host.Wait() })

	line, err := bufio.NewReader(out).ReadString('\n')
	if !strings.HasPrefix(line, "ready ") {
		t.Fatalf("host printed %q, %v; want ready <pid>", line, err)
	}
	eventually(t, "plugin, children and grandchildren", func() bool { return len(marked(marker)) == 5 })

	if err := host.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, marker)
}

func TestSocketDirTooLong(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 80))
	b, _ := faultBlock(t)
	_, err := supervisor.Start(t.Context(), pluginDir, b, supervisor.Options{SocketDir: dir})
	if !errors.Is(err, plugin.ErrInvalid) || !strings.Contains(err.Error(), "TMPDIR") {
		t.Errorf("Start() with a long socket dir = %v, want ErrInvalid naming TMPDIR", err)
	}
}

func TestSetStartsInOrderAndStopsAll(t *testing.T) {
	first, m1 := faultBlock(t, "FAULT_CHILDREN=1")
	first.Name = "first"
	second, m2 := faultBlock(t)
	second.Name = "second"
	pairing, _ := faultBlock(t)
	pairing.Protocol, pairing.Name = plugin.ProtocolPairing, "fault"
	cfg := &config.Config{PluginDir: pluginDir, Auth: []*config.PluginBlock{first, second}, Pairing: pairing}

	reg := prometheus.NewRegistry()
	metrics, err := supervisor.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	o := testOptions(nil)
	o.Metrics = metrics
	s, err := supervisor.StartSet(t.Context(), cfg, o)
	if err != nil {
		t.Fatalf("StartSet() = %v", err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })

	chain := s.AuthChain()
	if len(chain) != 2 || chain[0].Name != "first" || chain[1].Name != "second" {
		t.Fatalf("AuthChain() = %v, want first, second", chain)
	}
	if ok, sts := s.Ready(); !ok || len(sts) != 3 {
		t.Errorf("Ready() = %v, %d statuses; want true, 3", ok, len(sts))
	}
	if _, err := check(t, chain[1].Auth); err != nil {
		t.Errorf("Check() via the chain = %v", err)
	}
	if paired, err := s.Pairing().IsPaired(t.Context(), "paired", "telegram"); err != nil || !paired {
		t.Errorf("IsPaired() = %v, %v; want true", paired, err)
	}
	if _, _, err := s.Sessions().Lookup(t.Context(), "k"); !errors.Is(err, plugin.ErrUnavailable) {
		t.Errorf("Sessions().Lookup() without a session block = %v, want ErrUnavailable", err)
	}
	if n := metricValue(t, reg, "gatehouse_plugin_calls_total", "Check", "auth.second"); n != 1 {
		t.Errorf("calls metric = %v, want 1", n)
	}
	if n := metricValue(t, reg, "gatehouse_plugin_up", "pairing.fault"); n != 1 {
		t.Errorf("up metric = %v, want 1", n)
	}

	if err := s.Stop(t.Context()); err != nil {
		t.Errorf("Stop() = %v", err)
	}
	waitGone(t, m1)
	waitGone(t, m2)
	if n := metricValue(t, reg, "gatehouse_plugin_up", "pairing.fault"); n != 0 {
		t.Errorf("up metric after stop = %v, want 0", n)
	}
}

func TestSetFailureNamesEveryBlockAndStopsTheRest(t *testing.T) {
	good, marker := faultBlock(t, "FAULT_CHILDREN=1")
	good.Name = "good"
	bad1, _ := faultBlock(t, "FAULT_EXIT_BEFORE=1")
	bad1.Name = "bad1"
	bad2 := &config.PluginBlock{Protocol: plugin.ProtocolSession, Name: "bad2", Plugin: "missing"}
	cfg := &config.Config{PluginDir: pluginDir, Auth: []*config.PluginBlock{good, bad1}, Session: bad2}

	_, err := supervisor.StartSet(t.Context(), cfg, testOptions(nil))
	if err == nil {
		t.Fatal("StartSet() = nil error, want failures")
	}
	for _, want := range []string{"auth.bad1", "session.bad2", `gatehouse-plugin-missing" does not exist`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("StartSet() = %v, want it to mention %q", err, want)
		}
	}
	waitGone(t, marker)
}

// metricValue returns the value of the metric name whose label values
// are labels, in the order of their label names.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var got []string
			for _, l := range m.GetLabel() {
				got = append(got, l.GetValue())
			}
			if strings.Join(got, ",") != strings.Join(labels, ",") {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s%v not found", name, labels)
	return 0
}

func TestReloadSwapsSets(t *testing.T) {
	b, _ := faultBlock(t)
	cfg := &config.Config{PluginDir: pluginDir, Auth: []*config.PluginBlock{b}}
	reg := prometheus.NewRegistry()
	metrics, err := supervisor.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	o := testOptions(nil)
	o.Metrics = metrics

	old, err := supervisor.StartSet(t.Context(), cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = old.Stop(context.Background()) })
	next, err := supervisor.StartSet(t.Context(), cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = next.Stop(context.Background()) })
	if err := old.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}

	if _, err := check(t, next.AuthChain()[0].Auth); err != nil {
		t.Errorf("Check() on the new set = %v", err)
	}
	if _, err := check(t, old.AuthChain()[0].Auth); !errors.Is(err, supervisor.ErrNotReady) {
		t.Errorf("Check() on the stopped set = %v, want ErrNotReady", err)
	}
	if n := metricValue(t, reg, "gatehouse_plugin_up", "auth.fault"); n != 1 {
		t.Errorf("up metric after the swap = %v, want 1", n)
	}
}
