package config

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// fileSchema is the top level of a config file.
var fileSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "plugin_dir"}},
	Blocks: append([]hcl.BlockHeaderSchema{
		{Type: "listener", LabelNames: []string{"type"}},
		{Type: "sessions"},
		{Type: "role", LabelNames: []string{"name"}},
		{Type: string(plugin.ProtocolAuth), LabelNames: []string{"name"}},
		{Type: string(plugin.ProtocolPairing), LabelNames: []string{"name"}},
		{Type: string(plugin.ProtocolSession), LabelNames: []string{"name"}},
	}, edgeBlocks...),
}

// Load reads and parses the config file at path. The returned Config is
// never nil, so that its WriteDiagnostics can print the diagnostics; it is
// only usable when they hold no error.
func Load(path string) (*Config, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return &Config{Filename: path}, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read config file",
			Detail:   fmt.Sprintf("Read %s: %v.", path, err),
		}}
	}
	return Parse(src, path)
}

// Parse parses src as a config file named filename; relative paths in it
// are resolved against filename's directory. Every problem is reported at
// once. The returned Config is never nil (see Load).
func Parse(src []byte, filename string) (*Config, hcl.Diagnostics) {
	c := &Config{
		Filename: filename,
		Files:    map[string]*hcl.File{},
		Listener: defaultListener(),
		Sessions: defaultSessions(),
		Roles:    defaultRoles(),
		Edge:     defaultEdge(),
	}
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if f != nil {
		c.Files[filename] = f
	}
	if diags.HasErrors() {
		return c, diags
	}

	d := &decoder{cfg: c, dir: filepath.Dir(filename)}
	d.ctx = evalContext(d.dir)
	d.file(f.Body)
	return c, append(diags, d.diags...)
}

// decoder collects the diagnostics of one file while filling cfg.
type decoder struct {
	cfg   *Config
	dir   string
	ctx   *hcl.EvalContext
	diags hcl.Diagnostics

	// seen maps a block's kind and label to where it was first declared.
	seen map[string]hcl.Range
}

// file decodes the top level of the config.
func (d *decoder) file(body hcl.Body) {
	content, diags := body.Content(fileSchema)
	d.diags = append(d.diags, diags...)
	d.seen = map[string]hcl.Range{}

	d.pluginDir(content.Attributes["plugin_dir"])
	for _, b := range content.Blocks {
		d.block(b)
	}
	d.requireBlocks(body.MissingItemRange())
}

// pluginDir resolves plugin_dir against the config's directory.
func (d *decoder) pluginDir(attr *hcl.Attribute) {
	dir := DefaultPluginDir
	if attr != nil {
		if s, ok := d.str(attr); ok {
			dir = s
		}
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(d.dir, dir)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	d.cfg.PluginDir = dir
}

// block decodes one top-level block by its type.
func (d *decoder) block(b *hcl.Block) {
	switch b.Type {
	case "listener":
		if d.unique(b, "listener", "Only one listener block is allowed") {
			d.listener(b)
		}
	case "sessions":
		if d.unique(b, "sessions", "Only one sessions block is allowed") {
			d.sessions(b)
		}
	case "role":
		if d.unique(b, "role."+b.Labels[0], "Each role is declared once") {
			d.role(b)
		}
	case string(plugin.ProtocolAuth):
		if d.unique(b, "auth."+b.Labels[0], "Each auth block needs its own name") {
			d.cfg.Auth = append(d.cfg.Auth, d.pluginBlock(b))
		}
	case string(plugin.ProtocolPairing):
		if d.unique(b, "pairing", "Only one pairing block is allowed") {
			d.cfg.Pairing = d.pluginBlock(b)
		}
	case string(plugin.ProtocolSession):
		if d.unique(b, "session", "Only one session block is allowed") {
			d.cfg.Session = d.pluginBlock(b)
		}
	default:
		d.edgeBlock(b)
	}
}

// unique reports whether key is declared for the first time, and adds a
// diagnostic at the repeated header when it is not.
func (d *decoder) unique(b *hcl.Block, key, why string) bool {
	first, dup := d.seen[key]
	if !dup {
		d.seen[key] = b.DefRange
		return true
	}
	d.errorf(b.DefRange, "Duplicate "+b.Type+" block",
		"%s; the first was declared at %s.", why, first)
	return false
}

// requireBlocks reports the plugin blocks that serving needs and the file
// lacks.
func (d *decoder) requireBlocks(at hcl.Range) {
	if len(d.cfg.Auth) == 0 {
		d.errorf(at, "Missing auth block",
			"At least one auth block is required: it checks who a request comes from.")
	}
	if _, ok := d.seen["pairing"]; !ok {
		d.errorf(at, "Missing pairing block",
			"A pairing block is required: it stores pairing requests and paired channels.")
	}
	if _, ok := d.seen["session"]; !ok {
		d.errorf(at, "Missing session block",
			"A session block is required: it stores the host's sessions.")
	}
}

// errorf adds an error diagnostic at rng.
func (d *decoder) errorf(rng hcl.Range, summary, format string, args ...any) {
	d.diags = append(d.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  rng.Ptr(),
	})
}
