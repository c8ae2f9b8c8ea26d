package supervisor

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin/runner"
)

// drainTimeout bounds how long the host keeps reading a plugin's pipes
// after the plugin exited, before it closes them under any descendant
// that still holds them open. Pipes that end sooner end the wait sooner.
const drainTimeout = 2 * time.Second

// procRunner runs one plugin process for go-plugin. Unlike go-plugin's
// own runner it starts the process in its own process group (and PID
// namespace where the kernel allows), from a thread that lives as long as
// the host so that the parent-death signal fires only when the host dies,
// kills the whole group, and closes the output pipes once the process has
// exited even when a descendant still holds them.
type procRunner struct {
	cmd    *exec.Cmd
	log    *outputLog
	logger hclog.Logger

	stdoutR, stderrR *os.File
	stdout, stderr   *lineReader

	pid     atomic.Int64
	gone    atomic.Bool   // set once the process was reaped
	exited  chan struct{} // closed once the process has been reaped
	waitErr error         // set before exited is closed
}

var _ runner.Runner = (*procRunner)(nil)

func newProcRunner(cmd *exec.Cmd, log *outputLog, logger hclog.Logger) *procRunner {
	return &procRunner{cmd: cmd, log: log, logger: logger, exited: make(chan struct{})}
}

// Start implements runner.Runner.
func (r *procRunner) Start(context.Context) error {
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll(outR, outW)
		return err
	}
	r.cmd.Stdout, r.cmd.Stderr = outW, errW

	err = startProcess(r.cmd, r.logger)
	closeAll(outW, errW)
	if err != nil {
		closeAll(outR, errR)
		return err
	}
	r.stdoutR, r.stderrR = outR, errR
	r.stdout, r.stderr = newLineReader(outR, r.log), newLineReader(errR, r.log)
	r.pid.Store(int64(r.cmd.Process.Pid))
	go r.reap()
	return nil
}

// reap waits for the process, kills what is left of its group and, once
// its output is read to the end (or drainTimeout has passed), closes the
// pipes so go-plugin's readers end.
func (r *procRunner) reap() {
	err := r.cmd.Wait()
	// Members keep the group id in use, so it cannot have been reused.
	_ = syscall.Kill(-int(r.pid.Load()), syscall.SIGKILL)
	r.waitErr = err
	r.gone.Store(true)
	close(r.exited)
	r.drained(drainTimeout)
	closeAll(r.stdoutR, r.stderrR)
}

// drained waits until both output readers have read their pipes to the
// end, or timeout has passed, and reports which.
func (r *procRunner) drained(timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for _, lr := range []*lineReader{r.stdout, r.stderr} {
		select {
		case <-lr.ended:
		case <-t.C:
			return false
		}
	}
	return true
}

// killGroup sends SIGKILL to the plugin's process group, unless the
// process was already reaped (its id may then be reused). In a PID
// namespace the process is its init, and its death takes every
// descendant with it.
func (r *procRunner) killGroup() {
	if pid := int(r.pid.Load()); pid > 0 && !r.gone.Load() {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// Wait implements runner.Runner.
func (r *procRunner) Wait(ctx context.Context) error {
	select {
	case <-r.exited:
		return r.waitErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Kill implements runner.Runner.
func (r *procRunner) Kill(context.Context) error {
	r.killGroup()
	return nil
}

// Diagnose implements runner.Runner; the supervisor writes its own
// diagnostics from the plugin's output.
func (r *procRunner) Diagnose(context.Context) string { return "" }

// Stdout implements runner.Runner.
func (r *procRunner) Stdout() io.ReadCloser { return r.stdout }

// Stderr implements runner.Runner.
func (r *procRunner) Stderr() io.ReadCloser { return r.stderr }

// Name implements runner.Runner.
func (r *procRunner) Name() string { return r.cmd.Path }

// ID implements runner.Runner.
func (r *procRunner) ID() string {
	pid := r.pid.Load()
	if pid == 0 {
		return ""
	}
	return strconv.FormatInt(pid, 10)
}

// PluginToHost implements runner.AddrTranslator.
func (r *procRunner) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

// HostToPlugin implements runner.AddrTranslator.
func (r *procRunner) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}

func closeAll(files ...*os.File) {
	for _, f := range files {
		if f != nil {
			_ = f.Close()
		}
	}
}

// The fork thread: a goroutine locked to its OS thread for the life of
// the host. A parent-death signal fires when the thread that forked the
// child exits, so every plugin is forked from this one thread.
var forker struct {
	once sync.Once
	reqs chan func()
}

// noPIDNamespace is set once creating a PID namespace has failed.
var noPIDNamespace atomic.Bool

// startProcess starts cmd on the fork thread, in its own process group,
// killed when the host dies, and in a new PID namespace when allowed.
func startProcess(cmd *exec.Cmd, log hclog.Logger) error {
	forker.once.Do(func() {
		forker.reqs = make(chan func())
		go func() {
			runtime.LockOSThread() // never unlocked: the thread must outlive every plugin
			for f := range forker.reqs {
				f()
			}
		}()
	})
	errc := make(chan error, 1)
	forker.reqs <- func() { errc <- startIsolated(cmd, log) }
	return <-errc
}

func startIsolated(cmd *exec.Cmd, log hclog.Logger) error {
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if !noPIDNamespace.Load() {
		ns := *attr
		withPIDNamespace(&ns)
		cmd.SysProcAttr = &ns
		err := cmd.Start()
		if err == nil || !isPermission(err) {
			return err
		}
		noPIDNamespace.Store(true)
		log.Warn("pid namespace unavailable; a plugin's children may outlive a killed host",
			"error", err)
		cmd.Process, cmd.Err = nil, nil
	}
	cmd.SysProcAttr = attr
	return cmd.Start()
}

// withPIDNamespace asks for a new PID namespace, inside a user namespace
// mapping the host's own ids when the host is not root.
func withPIDNamespace(a *syscall.SysProcAttr) {
	a.Cloneflags = syscall.CLONE_NEWPID
	if os.Geteuid() == 0 {
		return
	}
	a.Cloneflags |= syscall.CLONE_NEWUSER
	a.UidMappings = []syscall.SysProcIDMap{{ContainerID: os.Geteuid(), HostID: os.Geteuid(), Size: 1}}
	a.GidMappings = []syscall.SysProcIDMap{{ContainerID: os.Getegid(), HostID: os.Getegid(), Size: 1}}
	a.GidMappingsEnableSetgroups = false
}

func isPermission(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) ||
		errors.Is(err, syscall.ENOSPC)
}
