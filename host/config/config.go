// Package config reads the host's HCL file: the host's own settings and
// one block per plugin instance. Plugin config blocks are kept as raw HCL
// bodies until the plugin has published its schema; DecodeConfig then
// checks one against it.
package config

import (
	"time"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/hashicorp/hcl/v2"
)

// Config is a parsed host config file.
type Config struct {
	// Filename is the path the config was read from.
	Filename string
	// Files holds the parsed sources, for printing diagnostics.
	Files map[string]*hcl.File

	PluginDir string
	Listener  Listener
	Sessions  SessionSettings
	// Roles maps a role name to the scopes it grants.
	Roles map[string][]string

	// Auth blocks in declared order: the auth chain.
	Auth    []*PluginBlock
	Pairing *PluginBlock
	Session *PluginBlock
}

// Listener is the HTTP listener.
type Listener struct {
	Address        string
	MaxBodyBytes   int64
	MaxHeaderBytes int
	ReadTimeout    time.Duration
	WriteTimeout   time.Duration
	IdleTimeout    time.Duration
}

// SessionSettings says how the host mints session tokens.
type SessionSettings struct {
	TTL          time.Duration
	CookieName   string
	CookieSecure bool
}

// PluginBlock is one auth, pairing or session block.
type PluginBlock struct {
	Protocol plugin.Protocol
	// Name is the block's label.
	Name string
	// Plugin names the binary: <plugin_dir>/gatehouse-plugin-<Plugin>.
	Plugin string
	// SHA256 pins the binary when not empty (lower-case hex).
	SHA256 string
	// Env is the environment granted to the plugin; nothing else is passed.
	Env map[string]string

	CallTimeout     time.Duration
	StartTimeout    time.Duration
	StopTimeout     time.Duration
	HealthInterval  time.Duration
	MaxRestarts     int
	MaxMessageBytes int

	// Body is the unchecked config block; nil when absent.
	Body hcl.Body
	// DeclRange is the range of the block header, for diagnostics.
	DeclRange hcl.Range
}

// Key returns "protocol.name", unique within one config.
func (b *PluginBlock) Key() string { return string(b.Protocol) + "." + b.Name }

// Blocks returns every plugin block in start order: auth chain, pairing,
// session.
func (c *Config) Blocks() []*PluginBlock {
	out := append([]*PluginBlock(nil), c.Auth...)
	if c.Pairing != nil {
		out = append(out, c.Pairing)
	}
	if c.Session != nil {
		out = append(out, c.Session)
	}
	return out
}
