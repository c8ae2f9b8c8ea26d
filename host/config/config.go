// Package config reads the host's HCL file: the host's own settings and
// one block per plugin instance. Plugin config blocks are kept as raw HCL
// bodies until the plugin has published its schema; DecodeConfig then
// checks one against it.
//
// Values that come from the env() and file() functions are sensitive:
// they never appear in diagnostics, and the types of this package print
// them as Redacted.
package config

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
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

	// PluginDir is absolute, or relative to the working directory when
	// the config was parsed from memory under a relative name.
	PluginDir string
	Listener  Listener
	Sessions  SessionSettings
	// Roles maps a role name to the scopes it grants.
	Roles map[string][]string
	// Edge holds routes, forward auth, the auth cache and rate limits.
	Edge Edge

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
	// TrustedProxies are the peers whose X-Forwarded-For header names the
	// client, for rate limits and the address plugins see.
	TrustedProxies []netip.Prefix
}

// Equal reports whether l and o are the same settings.
func (l Listener) Equal(o Listener) bool {
	return l.Address == o.Address && l.MaxBodyBytes == o.MaxBodyBytes &&
		l.MaxHeaderBytes == o.MaxHeaderBytes && l.ReadTimeout == o.ReadTimeout &&
		l.WriteTimeout == o.WriteTimeout && l.IdleTimeout == o.IdleTimeout &&
		slices.Equal(l.TrustedProxies, o.TrustedProxies)
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
	Env Env

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

	// dir is the config file's directory, where file() starts.
	dir string
}

// Key returns "protocol.name", unique within one config.
func (b *PluginBlock) Key() string { return string(b.Protocol) + "." + b.Name }

// String describes the block without its environment or config values.
func (b *PluginBlock) String() string {
	return fmt.Sprintf("%s %q (plugin %s)", b.Protocol, b.Name, b.Plugin)
}

// GoString is String, so that %#v shows no secret either.
func (b *PluginBlock) GoString() string { return b.String() }

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

// WriteDiagnostics prints diags the way Terraform does: severity, summary,
// file:line:col, the source snippet and the detail, without color, in
// source order. It also works on the Config that Parse returned alongside
// errors, and on a nil Config (without snippets).
func (c *Config) WriteDiagnostics(w io.Writer, diags hcl.Diagnostics) error {
	var files map[string]*hcl.File
	if c != nil {
		files = c.Files
	}
	sorted := slices.Clone(diags)
	slices.SortStableFunc(sorted, compareDiagnostics)
	for _, d := range sorted {
		if err := writeDiagnostic(w, files, d); err != nil {
			return err
		}
	}
	return nil
}

// writeDiagnostic writes d the way Terraform does, but opens with the
// one-line "file:line:col: error: summary" that editors and scripts can
// jump to, in place of hcl's "Error: summary" heading.
func writeDiagnostic(w io.Writer, files map[string]*hcl.File, d *hcl.Diagnostic) error {
	var buf bytes.Buffer
	if err := hcl.NewDiagnosticTextWriter(&buf, files, 0, false).WriteDiagnostic(d); err != nil {
		return err
	}
	body := buf.Bytes()
	if d.Subject != nil {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		fmt.Fprintf(w, "%s:%d:%d: %s: %s\n", d.Subject.Filename,
			d.Subject.Start.Line, d.Subject.Start.Column, sev, d.Summary)
		_, body, _ = bytes.Cut(body, []byte("\n"))
	}
	_, err := w.Write(body)
	return err
}

// compareDiagnostics orders diagnostics by file and position; those
// without a subject come first.
func compareDiagnostics(a, b *hcl.Diagnostic) int {
	switch {
	case a.Subject == nil && b.Subject == nil:
		return 0
	case a.Subject == nil:
		return -1
	case b.Subject == nil:
		return 1
	}
	if c := strings.Compare(a.Subject.Filename, b.Subject.Filename); c != 0 {
		return c
	}
	return a.Subject.Start.Byte - b.Subject.Start.Byte
}

// Env is the environment granted to a plugin. Its values are often
// secrets, so every fmt verb prints them as Redacted.
type Env map[string]string

// Format implements fmt.Formatter: names are shown, values never.
func (e Env) Format(f fmt.State, _ rune) {
	names := make([]string, 0, len(e))
	for name := range e {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, name := range names {
		names[i] = name + ":" + Redacted
	}
	fmt.Fprintf(f, "map[%s]", strings.Join(names, " "))
}

// List returns the environment as NAME=value pairs, sorted, for
// exec.Cmd.Env.
func (e Env) List() []string {
	out := make([]string, 0, len(e))
	for name, v := range e {
		out = append(out, name+"="+v)
	}
	slices.Sort(out)
	return out
}
