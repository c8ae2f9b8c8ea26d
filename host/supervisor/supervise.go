package supervisor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v5"
	"google.golang.org/grpc/health/grpc_health_v1"
)

// healthService is the service go-plugin registers with the gRPC health
// server of every plugin.
const healthService = "plugin"

// healthFailures is how many health checks in a row must fail before an
// alive plugin is killed and restarted.
const healthFailures = 2

// supervise owns the plugin's process from its first ready instance
// until Stop or a crash loop.
func (p *Plugin) supervise(in *instance) {
	defer close(p.done)
	bo := &backoff.ExponentialBackOff{
		InitialInterval:     p.set.backoffInitial,
		RandomizationFactor: 0.5,
		Multiplier:          2,
		MaxInterval:         p.set.backoffMax,
	}
	bo.Reset()
	var recent []time.Time

	for in != nil {
		reason := p.watch(in)
		if reason == nil {
			in.stop(p.set.stop)
			p.setState(StateStopped, nil)
			p.log.Info("plugin stopped")
			return
		}
		p.setState(StateRestarting, reason)
		p.log.Error("plugin down", "error", reason)
		in.stop(p.set.stop)
		if time.Since(in.since) > 2*p.set.backoffMax {
			bo.Reset()
		}
		in = p.relaunch(bo, &recent)
	}
}

// watch returns why the instance is no longer usable, or nil on Stop.
func (p *Plugin) watch(in *instance) error {
	tick := time.NewTicker(p.set.health)
	defer tick.Stop()
	failed := 0
	for {
		select {
		case <-p.ctx.Done():
			return nil
		case <-in.exited():
			return p.exitReason(in)
		case <-tick.C:
		}
		if err := p.checkHealth(in); err != nil {
			failed++
			if failed >= healthFailures {
				return fmt.Errorf("plugin %s stopped answering health checks: %w", p.key, err)
			}
			continue
		}
		failed = 0
	}
}

// Health asks the ready plugin's gRPC health service once, within the
// call deadline. The answer comes from go-plugin alone, without any code
// of the plugin's, so its cost is the transport's floor that benchmarks
// compare plugin calls with.
func (p *Plugin) Health(ctx context.Context) error {
	in, err := p.ready()
	if err != nil {
		return err
	}
	return p.askHealth(ctx, in)
}

// checkHealth asks go-plugin's health service, with the call deadline.
func (p *Plugin) checkHealth(in *instance) error {
	return p.askHealth(p.ctx, in)
}

func (p *Plugin) askHealth(ctx context.Context, in *instance) error {
	ctx, cancel := context.WithTimeout(ctx, p.set.call)
	defer cancel()
	h := grpc_health_v1.NewHealthClient(in.rpc.Conn())
	r, err := h.Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: healthService})
	if err != nil {
		return err
	}
	if r.GetStatus() != grpc_health_v1.HealthCheckResponse_SERVING {
		return fmt.Errorf("health status %v", r.GetStatus())
	}
	return nil
}

// exitReason describes how the process ended, with its last output.
func (p *Plugin) exitReason(in *instance) error {
	r := in.proc.Load()
	how := "exited"
	if r.waitErr != nil {
		how = "exited: " + r.waitErr.Error()
	}
	// Let the readers record the last lines before quoting them.
	r.drained(drainTimeout)
	if fatal := p.out.lastFatal(); fatal != "" {
		how += "; " + fatal
	}
	if last := p.out.quote(0, 300); last != "" {
		return fmt.Errorf("plugin %s %s; last output %s", p.key, how, strconv.Quote(last))
	}
	return errors.New("plugin " + p.key + " " + how)
}

// relaunch waits out the backoff and launches again until an instance is
// ready, Stop is called, or the crash-loop limit is reached.
func (p *Plugin) relaunch(bo *backoff.ExponentialBackOff, recent *[]time.Time) *instance {
	for {
		if p.crashLooping(recent) {
			return nil
		}
		if !p.sleep(bo.NextBackOff()) {
			p.setState(StateStopped, nil)
			return nil
		}
		p.countRestart()
		in, err := p.relaunchResolved()
		if err == nil {
			p.setReady(in)
			return in
		}
		if p.ctx.Err() != nil {
			p.setState(StateStopped, nil)
			return nil
		}
		p.setState(StateRestarting, err)
		p.log.Error("plugin restart failed", "error", err)
	}
}

// relaunchResolved launches the binary again only if it is still the one
// resolved and checked at start: a binary replaced on disk runs only
// after a reload, which resolves it and checks its pin again.
func (p *Plugin) relaunchResolved() (*instance, error) {
	if err := unchanged(p.l.path, p.sum); err != nil {
		return nil, err
	}
	return p.launch(p.ctx)
}

// crashLooping records a restart and marks the plugin failed when there
// were more than max_restarts within the restart window.
func (p *Plugin) crashLooping(recent *[]time.Time) bool {
	now := time.Now()
	kept := (*recent)[:0]
	for _, t := range *recent {
		if now.Sub(t) < p.set.window {
			kept = append(kept, t)
		}
	}
	*recent = append(kept, now)
	if len(*recent) <= p.set.maxRestarts {
		return false
	}
	err := fmt.Errorf("plugin %s restarted more than %d times within %v; giving up (last error: %s)",
		p.key, p.set.maxRestarts, p.set.window, p.Status().LastError)
	p.setState(StateFailed, err)
	p.log.Error("plugin failed", "error", err)
	return true
}

func (p *Plugin) countRestart() {
	p.mu.Lock()
	p.restarts++
	p.mu.Unlock()
	p.metrics.restarted(p.key)
}

// sleep waits d, and reports false when Stop came first.
func (p *Plugin) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.ctx.Done():
		return false
	}
}
