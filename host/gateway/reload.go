package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/host/config"
)

// errClosed refuses a reload that arrives during shutdown.
var errClosed = errors.New("host is shutting down")

// reload applies the config file again: it parses and validates it,
// builds the new edge (forward auth, routes, cache, limits), starts the
// new plugin set, switches new requests over to the new set, policy and
// edge, then retires the old set once the requests that hold it are
// done. A request in flight finishes on the set and edge it started
// with. A config that does not load, an edge that does not build or a
// set that does not start is refused, with its diagnostics logged, and
// the old set and edge keep serving.
func (g *gateway) reload(ctx context.Context) error {
	g.reloadMu.Lock()
	defer g.reloadMu.Unlock()
	if g.closed {
		return errClosed
	}

	cfg, diags := config.Load(g.opts.ConfigPath)
	if diags.HasErrors() {
		text := diagnosticsText(cfg, diags)
		g.log.Error("reload refused", "reason", "invalid config", "diagnostics", text)
		return fmt.Errorf("%w:\n%s", ErrInvalidConfig, text)
	}
	if !cfg.Listener.Equal(g.cfg.Listener) {
		g.log.Warn("listener settings change only on restart", "address", g.cfg.Listener.Address)
	}
	edge := g.edgeOf(cfg)
	built, err := g.srv.BuildEdge(edge)
	if err != nil {
		g.log.Error("reload refused", "reason", "edge did not build", "error", err)
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}

	// The new set outlives the request that asked for it.
	set, err := g.start(context.WithoutCancel(ctx), cfg)
	if err != nil {
		g.log.Error("reload refused", "reason", "plugins did not start", "error", err)
		return fmt.Errorf("reload refused: %w", err)
	}
	old := g.cur.swap(set)
	g.srv.SetPolicy(policyOf(cfg))
	g.srv.SetEdge(built)
	g.cfg, g.limits = cfg, edge.Limits
	if old != nil {
		g.retire(old, drainTimeout)
	}
	g.log.Info("reloaded", "plugins", len(cfg.Blocks()))
	return nil
}

// retire stops the set of generation old in the background, once no
// request holds it or after timeout.
func (g *gateway) retire(old *generation, timeout time.Duration) {
	g.retiring.Add(1)
	go func() {
		defer g.retiring.Done()
		ctx, cancel := context.WithTimeout(g.life, timeout)
		defer cancel()
		if err := drain(ctx, old); err != nil {
			g.log.Warn("stopping a plugin set still in use", "error", err)
		}
		set := old.backend.(*pluginSet)
		if err := set.stop(g.life); err != nil {
			g.log.Warn("stop plugin set", "error", err)
		}
	}()
}
