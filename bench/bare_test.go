package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bareEnv, set to a listen address, turns the test binary into the bare
// HTTP server of the baselines: its own process, like the host.
const bareEnv = "GATEHOUSE_BENCH_BARE"

// bareBody is what the bare handler answers, as small as the host's
// is-paired answer.
const bareBody = `{"paired":true}` + "\n"

// serveBare serves the bare handler on addr until killed.
func serveBare(addr string) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	err = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, bareBody)
	}))
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// process is a server started by the suite, stopped by PID.
type process struct {
	URL    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// startBare starts the bare server and returns once it answers.
func startBare(b *testing.B) *process {
	b.Helper()
	p, err := startServer(b.Context(), bareCommand, "/")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.stop)
	return p
}

// bareCommand runs this test binary as the bare server on addr.
func bareCommand(addr string) (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the test binary: %w", err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), bareEnv+"="+addr)
	return cmd, nil
}

// startServer starts the command that command builds for a free
// loopback address and polls path every 2ms until it answers 200.
func startServer(ctx context.Context, command func(addr string) (*exec.Cmd, error), path string) (*process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd, err := command(addr)
	if err != nil {
		return nil, err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out strings.Builder
	if cmd.Stderr == nil {
		cmd.Stdout, cmd.Stderr = &out, &out
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p := &process{URL: "http://" + addr, cmd: cmd, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(p.exited) }()

	if err := p.waitOK(ctx, path); err != nil {
		p.stop()
		return nil, fmt.Errorf("%s: %w; output:\n%s", cmd.Path, err, out.String())
	}
	return p, nil
}

// waitOK polls path until it answers 200, the process exits or a
// generous deadline passes.
func (p *process) waitOK(ctx context.Context, path string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	poll := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for {
		if err := get(ctx, poll, p.URL+path, nil); err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return errors.New("exited before it answered")
		case <-ctx.Done():
			return fmt.Errorf("no answer on %s: %w", path, ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM, then SIGKILL after ten seconds, and waits.
func (p *process) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
