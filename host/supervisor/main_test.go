package supervisor_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/host/supervisor"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/hashicorp/go-hclog"
)

// pluginDir holds gatehouse-plugin-fault; hostBin is the test host.
var pluginDir, hostBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "supervisor-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := 1
	if err := build(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func build(dir string) error {
	pluginDir = filepath.Join(dir, "plugins")
	hostBin = filepath.Join(dir, "host")
	for out, pkg := range map[string]string{
		filepath.Join(pluginDir, "gatehouse-plugin-fault"): "github.com/gatehouse/gatehouse/internal/faultplugin",
		hostBin: "github.com/gatehouse/gatehouse/internal/faultplugin/host",
	} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, msg)
		}
	}
	return nil
}

// faultBlock returns an auth block running the fault plugin with env and
// a fresh marker, and short timeouts for tests.
func faultBlock(t *testing.T, env ...string) (*config.PluginBlock, string) {
	t.Helper()
	marker := newMarker()
	b := &config.PluginBlock{
		Protocol: plugin.ProtocolAuth, Name: "fault", Plugin: "fault",
		Env:            map[string]string{"FAULT_MARK": marker},
		CallTimeout:    2 * time.Second,
		StartTimeout:   20 * time.Second,
		StopTimeout:    2 * time.Second,
		HealthInterval: time.Second,
		MaxRestarts:    5,
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		b.Env[k] = v
	}
	t.Cleanup(func() { waitGone(t, marker) })
	return b, marker
}

func newMarker() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// testOptions are fast-restarting options with a logger into buf.
func testOptions(buf *syncBuffer) supervisor.Options {
	o := supervisor.Options{BackoffInitial: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond}
	if buf != nil {
		o.Logger = hclog.New(&hclog.LoggerOptions{Output: buf, Level: hclog.Info, Name: "host"})
	}
	return o
}

// start starts b and stops it when the test ends.
func start(t *testing.T, b *config.PluginBlock, o supervisor.Options) *supervisor.Plugin {
	t.Helper()
	p, err := supervisor.Start(t.Context(), pluginDir, b, o)
	if err != nil {
		t.Fatalf("Start(%s) = %v", b.Key(), err)
	}
	t.Cleanup(func() { _ = p.Stop(context.Background()) })
	return p
}

// waitBound bounds every wait of eventually; it only avoids hangs. It is
// large because of TestHostileOutput: the race-instrumented host takes
// some 15 s of CPU to read 64 MiB of plugin stderr on an idle machine,
// and more when `make test` runs other packages beside it.
const waitBound = 2 * time.Minute

// eventually polls cond until it holds or waitBound passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitBound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// marked returns the pids of live processes whose environment carries
// the marker: a plugin and everything it started.
func marked(marker string) []string {
	needle := []byte("FAULT_MARK=" + marker + "\x00")
	var pids []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && bytes.Contains(env, needle) {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

// waitGone fails the test if processes with the marker remain.
func waitGone(t *testing.T, marker string) {
	t.Helper()
	eventually(t, "no process left with marker "+marker, func() bool { return len(marked(marker)) == 0 })
}

// check asks a for a verdict on a request with a good token.
func check(t *testing.T, a plugin.Auth) (plugin.CheckResult, error) {
	t.Helper()
	return checkAs(t, a, "good")
}

// checkAs sends "Authorization: Bearer <token>"; the fault plugin crashes
// on "crash" and hangs on "hang".
func checkAs(t *testing.T, a plugin.Auth, token string) (plugin.CheckResult, error) {
	t.Helper()
	req := &plugin.CheckRequest{Method: "GET", Path: "/", Header: map[string][]string{"Authorization": {"Bearer " + token}}}
	return a.Check(t.Context(), req)
}

// syncBuffer captures log output; see testenv.SyncBuffer.
type syncBuffer = testenv.SyncBuffer

// resources counts goroutines and open file descriptors.
func resources() (goroutines, fds int) {
	entries, _ := os.ReadDir("/proc/self/fd")
	return runtime.NumGoroutine(), len(entries)
}
