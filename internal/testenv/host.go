package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"
)

// Deadlines of StartHost and Stop: generous, only there to avoid hangs.
const (
	hostReadyTimeout = 60 * time.Second
	hostStopTimeout  = 20 * time.Second
)

// Host is a running `gatehouse serve` started by StartHost.
type Host struct {
	// URL is "http://127.0.0.1:<port>".
	URL string
	// Addr is "127.0.0.1:<port>".
	Addr string
	// Dir is the host's working directory; the config lives there.
	Dir string
	// ConfigPath is the config file the host serves.
	ConfigPath string
	// BinDir is the directory of the built binaries.
	BinDir string
	Cmd    *exec.Cmd
	PID    int

	log    *hostLog
	exited chan struct{}
	err    error // set before exited is closed
}

// HostConfig is what a config template passed to StartHost can use:
// {{.Dir}} (a temporary directory, also the host's working directory),
// {{.PluginDir}} and {{.Address}}.
type HostConfig struct {
	Dir       string
	PluginDir string
	Address   string
}

// StartHost builds the binaries, writes configHCL to a temporary
// directory and runs `gatehouse serve` on it with env added to the test's
// environment. configHCL is a text/template over HostConfig. Without a
// plugin_dir attribute it gets one pointing at the built plugins; without
// a listener block it gets one on a free loopback port. StartHost returns
// once /readyz answers 200 and stops the host when the test ends.
func StartHost(t testing.TB, configHCL string, env ...string) *Host {
	t.Helper()
	bin := BuildBinaries(t)
	h := &Host{Dir: t.TempDir(), BinDir: bin}
	h.Addr = hostFreeAddr(t)
	h.URL = "http://" + h.Addr
	h.ConfigPath = filepath.Join(h.Dir, "config.hcl")
	if err := h.Rewrite(configHCL); err != nil {
		t.Fatal(err)
	}

	if err := h.start(env); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Stop(); err != nil && !isSignalExit(err) {
			t.Logf("stop host: %v", err)
		}
		if t.Failed() {
			t.Logf("host log:\n%s", h.Log())
		}
	})
	if err := h.waitReady(); err != nil {
		t.Fatalf("%v\nhost log:\n%s", err, h.Log())
	}
	return h
}

// Rewrite renders configHCL as StartHost does and writes it over the
// host's config file, for a reload.
func (h *Host) Rewrite(configHCL string) error {
	vars := HostConfig{Dir: h.Dir, PluginDir: PluginDir(h.BinDir), Address: h.Addr}
	tmpl, err := template.New("config.hcl").Option("missingkey=error").Parse(configHCL)
	if err != nil {
		return fmt.Errorf("parse config template: %w", err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, vars); err != nil {
		return fmt.Errorf("render config template: %w", err)
	}
	text := buf.String()
	if !strings.Contains(text, "plugin_dir") {
		text = fmt.Sprintf("plugin_dir = %q\n\n%s", vars.PluginDir, text)
	}
	if !strings.Contains(text, "listener ") {
		text += fmt.Sprintf("\nlistener \"http\" {\n  address = %q\n}\n", vars.Address)
	}
	return os.WriteFile(h.ConfigPath, []byte(text), 0o600)
}

func (h *Host) start(env []string) error {
	h.log = &hostLog{}
	h.exited = make(chan struct{})
	h.Cmd = exec.Command(filepath.Join(h.BinDir, HostBinary), "serve", "--config", h.ConfigPath)
	h.Cmd.Dir = h.Dir
	h.Cmd.Env = append(os.Environ(), env...)
	h.Cmd.Stdout, h.Cmd.Stderr = h.log, h.log
	if err := h.Cmd.Start(); err != nil {
		return fmt.Errorf("start gatehouse: %w", err)
	}
	h.PID = h.Cmd.Process.Pid
	go func() {
		h.err = h.Cmd.Wait()
		close(h.exited)
	}()
	return nil
}

// waitReady polls /readyz until it answers 200 or the host exits.
func (h *Host) waitReady() error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(hostReadyTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-h.exited:
			return fmt.Errorf("gatehouse exited before it was ready: %v", h.err)
		default:
		}
		resp, err := client.Get(h.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("gatehouse not ready after %v", hostReadyTimeout)
}

// Signal sends sig to the host process.
func (h *Host) Signal(sig os.Signal) error {
	if h.Exited() {
		return nil
	}
	return h.Cmd.Process.Signal(sig)
}

// Exited reports whether the host process has ended.
func (h *Host) Exited() bool {
	select {
	case <-h.exited:
		return true
	default:
		return false
	}
}

// Wait waits up to timeout for the host to exit and returns its exit
// error, or an error when it is still running.
func (h *Host) Wait(timeout time.Duration) error {
	select {
	case <-h.exited:
		return h.err
	case <-time.After(timeout):
		return fmt.Errorf("gatehouse pid %d still running after %v", h.PID, timeout)
	}
}

// Stop sends SIGTERM and waits, bounded, for the host to exit; past the
// bound it kills it. It returns the exit error and may be called twice.
func (h *Host) Stop() error {
	if h.Exited() {
		return h.err
	}
	h.Signal(syscall.SIGTERM)
	if err := h.Wait(hostStopTimeout); !h.Exited() {
		h.Kill()
		return err
	}
	return h.err
}

// Kill sends SIGKILL and waits for the process to be reaped.
func (h *Host) Kill() error {
	if h.Exited() {
		return h.err
	}
	h.Signal(syscall.SIGKILL)
	<-h.exited
	return h.err
}

// Log returns what the host wrote to stdout and stderr so far.
func (h *Host) Log() string { return h.log.String() }

// isSignalExit reports whether err is the exit of a process ended by a
// signal, which Stop's caller expects.
func isSignalExit(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && !ee.Exited()
}

// hostLog is a bytes.Buffer safe for the concurrent writes of stdout and
// stderr.
type hostLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *hostLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *hostLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// hostFreeAddr returns a loopback address whose port was free a moment
// ago.
func hostFreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
