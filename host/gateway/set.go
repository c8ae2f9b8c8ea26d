package gateway

import (
	"context"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/host/server"
	"github.com/gatehouse/gatehouse/host/supervisor"
	"github.com/gatehouse/gatehouse/plugin"
)

// pluginSet adapts a supervisor.Set to server.Backend.
type pluginSet struct {
	set   *supervisor.Set
	chain []server.AuthPlugin
}

var _ server.Backend = (*pluginSet)(nil)

// start launches every plugin block of cfg. When one fails, none is left
// running and the error names each failure.
func (g *gateway) start(ctx context.Context, cfg *config.Config) (*pluginSet, error) {
	set, err := supervisor.StartSet(ctx, cfg, supervisor.Options{
		Logger: g.log.Named("plugin"), Metrics: g.metrics,
	})
	if err != nil {
		return nil, err
	}
	s := &pluginSet{set: set}
	for _, a := range set.AuthChain() {
		s.chain = append(s.chain, server.AuthPlugin{Name: a.Name, Auth: a.Auth})
	}
	return s, nil
}

func (s *pluginSet) stop(ctx context.Context) error { return s.set.Stop(ctx) }

// AuthChain implements server.Backend.
func (s *pluginSet) AuthChain() []server.AuthPlugin { return s.chain }

// Pairing implements server.Backend.
func (s *pluginSet) Pairing() plugin.Pairing { return s.set.Pairing() }

// Sessions implements server.Backend.
func (s *pluginSet) Sessions() plugin.Sessions { return s.set.Sessions() }

// Statuses implements server.Backend.
func (s *pluginSet) Statuses() []supervisor.Status { return s.set.Statuses() }
