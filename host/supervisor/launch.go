package supervisor

import (
	"context"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/shared"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
	"google.golang.org/grpc"
)

// instance is one running plugin process.
type instance struct {
	client *goplugin.Client
	proc   atomic.Pointer[procRunner] // set once go-plugin runs it
	rpc    *plugin.Client
	info   plugin.Info
	since  time.Time
}

// launcher starts plugin processes for one block.
type launcher struct {
	path    string
	block   *config.PluginBlock
	set     settings
	sockDir string
	out     *outputLog
	log     hclog.Logger
}

// start launches the binary and completes the go-plugin handshake; it
// does not configure the plugin. It passes the new instance to starting
// before the handshake, so it can be killed. A failed start leaves
// nothing running.
func (l *launcher) start(starting func(*instance)) (*instance, error) {
	mark := l.out.mark()
	in := &instance{since: time.Now()}
	in.client = goplugin.NewClient(l.clientConfig(in))
	starting(in)

	raw, err := l.handshake(in)
	if err != nil {
		in.stop(l.set.stop)
		return nil, l.handshakeError(err, mark)
	}
	rpc, ok := raw.(*plugin.Client)
	if !ok {
		in.stop(l.set.stop)
		return nil, fmt.Errorf("plugin binary %q dispensed %T: %w", l.path, raw, plugin.ErrInternal)
	}
	in.rpc = rpc
	return in, nil
}

func (l *launcher) handshake(in *instance) (any, error) {
	c, err := in.client.Client()
	if err != nil {
		return nil, err
	}
	return c.Dispense(shared.PluginName)
}

// clientConfig returns a fresh go-plugin config: a go-plugin Client can
// be started only once.
func (l *launcher) clientConfig(in *instance) *goplugin.ClientConfig {
	sync := newLogWriter(l.out)
	limit := l.set.maxMessage
	return &goplugin.ClientConfig{
		HandshakeConfig:  shared.Handshake,
		VersionedPlugins: plugin.HostPlugins(),
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		StartTimeout:     l.set.start,
		Logger:           l.log,
		SyncStdout:       sync,
		SyncStderr:       sync,
		UnixSocketConfig: &goplugin.UnixSocketConfig{TempDir: l.sockDir},
		GRPCDialOptions: []grpc.DialOption{
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(limit), grpc.MaxCallSendMsgSize(limit)),
			// Fixed flow-control windows turn off gRPC's bandwidth probe,
			// which costs a PING frame each way on most calls of a local
			// socket.
			grpc.WithInitialWindowSize(plugin.FlowWindowBytes),
			grpc.WithInitialConnWindowSize(plugin.FlowWindowBytes),
		},
		RunnerFunc: func(_ hclog.Logger, spec *exec.Cmd, _ string) (runner.Runner, error) {
			r := newProcRunner(l.command(spec.Env), l.out, l.log)
			in.proc.Store(r)
			return r, nil
		},
	}
}

// command builds the plugin's command with a clean environment: what the
// block grants, the host's settings for the plugin, and go-plugin's own
// variables, in that order so that later ones win.
func (l *launcher) command(pluginEnv []string) *exec.Cmd {
	cmd := exec.Command(l.path)
	cmd.Env = make([]string, 0, len(l.block.Env)+2+len(pluginEnv))
	for _, k := range slices.Sorted(maps.Keys(l.block.Env)) {
		cmd.Env = append(cmd.Env, k+"="+l.block.Env[k])
	}
	cmd.Env = append(cmd.Env,
		shared.EnvMaxMessageBytes+"="+strconv.Itoa(l.set.maxMessage),
		shared.EnvPluginName+"="+l.block.Name)
	cmd.Env = append(cmd.Env, pluginEnv...)
	return cmd
}

// handshakeError names the binary and quotes what the plugin printed.
func (l *launcher) handshakeError(err error, mark uint64) error {
	msg := firstLine(err.Error(), 200)
	printed := l.out.quote(mark, 400)
	if printed == "" {
		printed = "nothing"
	} else {
		printed = strconv.Quote(printed)
	}
	return fmt.Errorf("plugin binary %q failed the handshake: %s; it printed %s: %w",
		l.path, msg, printed, plugin.ErrUnavailable)
}

func firstLine(s string, max int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return cleanLine([]byte(s))
}

// configure asks the plugin for its Info, checks the block against the
// published schema and hands the plugin its config.
func (l *launcher) configure(ctx context.Context, in *instance) error {
	cctx, cancel := context.WithTimeout(ctx, l.set.call)
	defer cancel()
	info, err := in.rpc.Info(cctx)
	if err != nil {
		return fmt.Errorf("plugin binary %q: info: %w", l.path, err)
	}
	in.info = info
	if !slices.Contains(info.Protocols, l.block.Protocol) {
		return fmt.Errorf("plugin binary %q does not serve protocol %s (serves %v): %w",
			l.path, l.block.Protocol, info.Protocols, plugin.ErrUnimplemented)
	}

	raw, diags := config.DecodeConfig(l.block, info.Schema)
	if diags.HasErrors() {
		return fmt.Errorf("config of %s: %s: %w", l.block.Key(), diags.Error(), plugin.ErrInvalid)
	}

	cctx, cancel = context.WithTimeout(ctx, l.set.call)
	defer cancel()
	if err := in.rpc.Configure(cctx, l.block.Protocol, l.block.Name, raw); err != nil {
		return fmt.Errorf("plugin binary %q: configure %s: %w", l.path, l.block.Key(), err)
	}
	return nil
}

// pid returns the process id, or 0 before the process started.
func (in *instance) pid() int {
	if r := in.proc.Load(); r != nil {
		return int(r.pid.Load())
	}
	return 0
}

// exited returns a channel closed when the process has exited.
func (in *instance) exited() <-chan struct{} { return in.proc.Load().exited }

// kill sends SIGKILL to the instance's process group, if it started.
func (in *instance) kill() {
	if r := in.proc.Load(); r != nil {
		r.killGroup()
	}
}

// stop asks the plugin to shut down (go-plugin's controller shutdown),
// then kills its process group once most of timeout has passed, and
// returns within timeout. The go-plugin cleanup finishes in the
// background once the process is gone.
func (in *instance) stop(timeout time.Duration) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		in.client.Kill()
	}()
	graceful := timeout * 4 / 5
	select {
	case <-done:
		return
	case <-time.After(graceful):
	}
	in.kill()
	select {
	case <-done:
	case <-time.After(timeout - graceful):
	}
}
