// Package supervisor launches plugin binaries with go-plugin and keeps
// them alive: one Plugin per config block, restarted with backoff when it
// crashes, with a deadline on every call and a bounded stop.
package supervisor

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/hashicorp/go-hclog"
)

// State is where a supervised plugin is in its life.
type State string

// The states of a supervised plugin.
const (
	StateStarting   State = "starting"
	StateReady      State = "ready"
	StateRestarting State = "restarting"
	StateFailed     State = "failed"
	StateStopped    State = "stopped"
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

// Options are shared by every plugin of one host.
type Options struct {
	Logger hclog.Logger
	// SocketDir is a private, short directory for go-plugin's Unix sockets.
	SocketDir string
}

// Plugin supervises one plugin block. It is safe for concurrent use.
type Plugin struct{}

// ErrNotReady is returned by calls into a plugin that is not ready.
var ErrNotReady = errors.New("plugin not ready")

// Start resolves, launches and configures the plugin of block b, and
// returns once it is ready or has failed to start.
func Start(ctx context.Context, dir string, b *config.PluginBlock, opts Options) (*Plugin, error) {
	return nil, plugin.ErrUnimplemented
}

// Auth returns the plugin's Auth protocol, guarded by deadline and state.
func (p *Plugin) Auth() plugin.Auth { return nil }

// Pairing returns the plugin's Pairing protocol, guarded likewise.
func (p *Plugin) Pairing() plugin.Pairing { return nil }

// Sessions returns the plugin's Sessions protocol, guarded likewise.
func (p *Plugin) Sessions() plugin.Sessions { return nil }

// Status returns the plugin's current status.
func (p *Plugin) Status() Status { return Status{} }

// Stop stops the plugin within its stop timeout. It may be called twice.
func (p *Plugin) Stop(ctx context.Context) error { return nil }
