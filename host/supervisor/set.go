package supervisor

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/plugin"
)

// NamedAuth is one link of the auth chain.
type NamedAuth struct {
	Name string
	plugin.Auth
}

// Set is the plugins of one config: the auth chain, the pairing store and
// the session store. Several sets may run at once, as during a reload. It
// is safe for concurrent use.
type Set struct {
	plugins  []*Plugin // in the config's start order
	auth     []NamedAuth
	pairing  *Plugin
	sessions *Plugin
}

// StartSet starts every plugin block of cfg, in parallel. If any fails,
// it stops those that started and returns an error naming every failure.
func StartSet(ctx context.Context, cfg *config.Config, opts Options) (*Set, error) {
	blocks := cfg.Blocks()
	plugins := make([]*Plugin, len(blocks))
	errs := make([]error, len(blocks))
	var wg sync.WaitGroup
	for i, b := range blocks {
		wg.Go(func() { plugins[i], errs[i] = Start(ctx, cfg.PluginDir, b, opts) })
	}
	wg.Wait()

	s := &Set{}
	for _, p := range plugins {
		if p != nil {
			s.plugins = append(s.plugins, p)
		}
	}
	if err := errors.Join(errs...); err != nil {
		_ = s.Stop(ctx)
		return nil, err
	}
	s.index(cfg)
	return s, nil
}

// index finds each block's plugin; s.plugins is in cfg.Blocks order.
func (s *Set) index(cfg *config.Config) {
	for i, b := range cfg.Blocks() {
		p := s.plugins[i]
		switch b.Protocol {
		case plugin.ProtocolAuth:
			s.auth = append(s.auth, NamedAuth{Name: b.Name, Auth: p.Auth()})
		case plugin.ProtocolPairing:
			s.pairing = p
		case plugin.ProtocolSession:
			s.sessions = p
		}
	}
}

// AuthChain returns the auth plugins in declared order.
func (s *Set) AuthChain() []NamedAuth { return append([]NamedAuth(nil), s.auth...) }

// Pairing returns the pairing store, which fails closed with
// plugin.ErrUnavailable when the config declares none.
func (s *Set) Pairing() plugin.Pairing {
	if s.pairing == nil {
		return guardedPairing{missing(plugin.ProtocolPairing)}
	}
	return s.pairing.Pairing()
}

// Sessions returns the session store, failing closed likewise.
func (s *Set) Sessions() plugin.Sessions {
	if s.sessions == nil {
		return guardedSessions{missing(plugin.ProtocolSession)}
	}
	return s.sessions.Sessions()
}

// missing returns a plugin that is never ready, for an absent block.
func missing(p plugin.Protocol) *Plugin {
	return &Plugin{key: string(p), block: &config.PluginBlock{Protocol: p}, state: StateStopped}
}

// Statuses returns the status of every plugin in start order.
func (s *Set) Statuses() []Status {
	out := make([]Status, 0, len(s.plugins))
	for _, p := range s.plugins {
		out = append(out, p.Status())
	}
	return out
}

// Ready reports whether every plugin is ready, with every status.
func (s *Set) Ready() (bool, []Status) {
	sts := s.Statuses()
	for _, st := range sts {
		if st.State != StateReady {
			return false, sts
		}
	}
	return true, sts
}

// Stop stops every plugin in reverse start order, each within its stop
// timeout. It may be called twice.
func (s *Set) Stop(ctx context.Context) error {
	var errs []error
	for i := len(s.plugins) - 1; i >= 0; i-- {
		errs = append(errs, s.plugins[i].Stop(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("stop plugins: %w", err)
	}
	return nil
}
