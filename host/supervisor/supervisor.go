// Package supervisor launches plugin binaries with go-plugin and keeps
// them alive: one Plugin per config block, restarted with backoff when it
// crashes, with a deadline on every call and a bounded stop.
//
// Every plugin runs in its own process group, in its own PID namespace
// where the kernel allows it, with a clean environment, and with a
// parent-death signal, so that neither the plugin nor anything it started
// outlives the host, even when the host is killed with SIGKILL.
package supervisor

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/hashicorp/go-hclog"
)

// State is where a supervised plugin is in its life.
type State string

// The states of a supervised plugin.
const (
	// StateStarting: the first launch is under way.
	StateStarting State = "starting"
	// StateReady: the plugin is configured and answers calls.
	StateReady State = "ready"
	// StateRestarting: the plugin died or stopped answering; the host is
	// waiting out the backoff or relaunching it. Calls fail fast.
	StateRestarting State = "restarting"
	// StateFailed: the plugin failed to start, or crashed more than its
	// max_restarts within the restart window. Nothing relaunches it.
	StateFailed State = "failed"
	// StateStopped: Stop was called.
	StateStopped State = "stopped"
)

// Status is what an operator can read about one plugin block.
type Status struct {
	Key        string          `json:"key"`
	Protocol   plugin.Protocol `json:"protocol"`
	Name       string          `json:"name"`
	Plugin     string          `json:"plugin"`
	Binary     string          `json:"binary"`
	SHA256     string          `json:"sha256"`
	Version    string          `json:"version"`
	PID        int             `json:"pid"`
	State      State           `json:"state"`
	Since      time.Time       `json:"since"`
	Restarts   int             `json:"restarts"`
	LastError  string          `json:"last_error,omitempty"`
	LastOutput []string        `json:"last_output,omitempty"`
}

// Options are shared by every plugin of one host. The zero value works.
type Options struct {
	Logger hclog.Logger
	// SocketDir is a private, short directory for go-plugin's Unix
	// sockets. Empty means a new directory under TMPDIR per plugin.
	SocketDir string
	// Metrics receives call and restart metrics; nil records none.
	Metrics *Metrics
	// RestartWindow is the window in which more than a block's
	// max_restarts restarts mark the plugin failed (default 10m).
	RestartWindow time.Duration
	// BackoffInitial and BackoffMax bound the jittered exponential delay
	// before a restart (defaults 250ms and 30s).
	BackoffInitial time.Duration
	BackoffMax     time.Duration
}

// ErrNotReady is returned by calls into a plugin that is not ready. It
// wraps plugin.ErrUnavailable.
var ErrNotReady = fmt.Errorf("plugin not ready: %w", plugin.ErrUnavailable)

// Plugin supervises one plugin block. It is safe for concurrent use. One
// goroutine owns the process; callers only read the current instance.
type Plugin struct {
	key     string
	block   *config.PluginBlock
	sum     string
	set     settings
	l       *launcher
	out     *outputLog
	log     hclog.Logger
	metrics *Metrics
	ownSock string // socket directory to remove on stop, if ours

	ctx    context.Context // cancelled by Stop
	cancel context.CancelFunc
	done   chan struct{} // closed when the supervising goroutine returns

	mu       sync.Mutex // guards the fields below
	state    State
	since    time.Time
	restarts int
	lastErr  string
	cur      *instance // ready instance, nil when not ready
	starting *instance // instance being launched, for Stop to kill
	up       bool      // counted as ready in the metrics
}

// Start resolves, launches and configures the plugin of block b, and
// returns once it is ready or has failed to start. A failed start leaves
// no process behind. The plugin lives until Stop, not until ctx ends.
func Start(ctx context.Context, dir string, b *config.PluginBlock, opts Options) (*Plugin, error) {
	p, err := newPlugin(ctx, dir, b, opts)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", b.Key(), err)
	}
	in, err := p.launch(ctx)
	if err != nil {
		p.setState(StateFailed, err)
		p.cancel()
		close(p.done)
		p.removeSocketDir()
		return nil, fmt.Errorf("start %s: %w", p.key, err)
	}
	p.setReady(in)
	go p.supervise(in)
	return p, nil
}

func newPlugin(ctx context.Context, dir string, b *config.PluginBlock, opts Options) (*Plugin, error) {
	path, sum, err := Resolve(dir, b)
	if err != nil {
		return nil, err
	}
	sock, created, err := socketDir(opts.SocketDir)
	if err != nil {
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	p := &Plugin{
		key: b.Key(), block: b, sum: sum, set: settingsOf(b, opts), out: &outputLog{},
		log: logger.Named(b.Key()), metrics: opts.Metrics,
		done: make(chan struct{}), state: StateStarting, since: time.Now(),
	}
	if created {
		p.ownSock = sock
	}
	p.ctx, p.cancel = context.WithCancel(context.WithoutCancel(ctx))
	p.l = &launcher{path: path, block: b, set: p.set, sockDir: sock, out: p.out, log: p.log}
	return p, nil
}

// launch starts and configures one instance. Stop, or the end of ctx,
// kills an instance still being launched.
func (p *Plugin) launch(ctx context.Context) (*instance, error) {
	stopKill := func() bool { return false }
	in, err := p.l.start(func(in *instance) {
		p.setStarting(in)
		stopKill = context.AfterFunc(ctx, in.kill)
	})
	stopKill()
	p.setStarting(nil)
	if err != nil {
		return nil, err
	}
	if err := p.l.configure(ctx, in); err != nil {
		in.stop(p.set.stop)
		return nil, err
	}
	if p.ctx.Err() != nil {
		in.stop(p.set.stop)
		return nil, fmt.Errorf("plugin %s: stopped while starting: %w", p.key, plugin.ErrCanceled)
	}
	return in, nil
}

func (p *Plugin) setStarting(in *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.starting = in
}

func (p *Plugin) setReady(in *instance) {
	p.mu.Lock()
	p.state, p.since, p.cur = StateReady, time.Now(), in
	wasUp := p.up
	p.up = true
	p.mu.Unlock()
	if !wasUp {
		p.metrics.addReady(p.key, 1)
	}
	p.log.Info("plugin ready", "pid", in.pid(), "version", cleanLine([]byte(in.info.Version)))
}

// setState records a state other than ready, and why.
func (p *Plugin) setState(s State, reason error) {
	p.mu.Lock()
	p.state, p.since, p.cur = s, time.Now(), nil
	if reason != nil {
		p.lastErr = reason.Error()
	}
	wasUp := p.up
	p.up = false
	p.mu.Unlock()
	if wasUp {
		p.metrics.addReady(p.key, -1)
	}
}

// Status returns the plugin's current status.
func (p *Plugin) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := Status{
		Key: p.key, Protocol: p.block.Protocol, Name: p.block.Name, Plugin: p.block.Plugin,
		Binary: p.l.path, SHA256: p.sum, State: p.state, Since: p.since,
		Restarts: p.restarts, LastError: p.lastErr, LastOutput: p.out.last(),
	}
	if p.cur != nil {
		st.PID = p.cur.pid()
		st.Version = cleanLine([]byte(p.cur.info.Version))
	}
	return st
}

// ready returns the ready instance, or an error naming the plugin and its
// state.
func (p *Plugin) ready() (*instance, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur == nil {
		return nil, fmt.Errorf("%s is %s: %w", p.key, p.state, ErrNotReady)
	}
	return p.cur, nil
}

// Stop stops the plugin within its stop timeout: a graceful shutdown
// request, then SIGKILL of its whole process group. It may be called
// twice; it returns early with an error when ctx ends first, and the
// cleanup then completes in the background.
func (p *Plugin) Stop(ctx context.Context) error {
	p.cancel()
	p.mu.Lock()
	starting := p.starting
	p.mu.Unlock()
	if starting != nil {
		starting.kill()
	}

	bound := time.NewTimer(p.set.stop + time.Second)
	defer bound.Stop()
	select {
	case <-p.done:
	case <-ctx.Done():
		return fmt.Errorf("stop %s: %w", p.key, ctx.Err())
	case <-bound.C:
		return fmt.Errorf("stop %s: not stopped within %v: %w", p.key, p.set.stop, plugin.ErrTimeout)
	}
	p.removeSocketDir()
	return nil
}

func (p *Plugin) removeSocketDir() {
	if p.ownSock != "" {
		removeDir(p.ownSock)
	}
}

func removeDir(dir string) { _ = os.RemoveAll(dir) }
