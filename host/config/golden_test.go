package config

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The secrets the golden configs read through env() and file().
const (
	envSecret  = "s3cr3t-from-env"
	fileSecret = "s3cr3t-from-file"
)

// sampleSchema stands for a plugin's published schema in the goldens.
var sampleSchema = plugin.Schema{
	Attributes: []plugin.Attribute{
		{Name: "url", Type: "list(string)", Required: true},
		{Name: "bind_dn", Type: "string"},
		{Name: "bind_pass", Type: "string", Sensitive: true},
		{Name: "timeout", Type: "string"},
		{Name: "retries", Type: "number"},
		{Name: "labels", Type: "map(string)"},
	},
	Blocks: []plugin.Block{{
		Name:     "group",
		Labels:   []string{"name"},
		Repeated: true,
		Body: plugin.Schema{Attributes: []plugin.Attribute{
			{Name: "role", Type: "string", Required: true},
			{Name: "token", Type: "string"},
		}},
	}},
}

// schemaFor returns the schema a golden config's plugin publishes.
func schemaFor(name string) plugin.Schema {
	if name == "sample" {
		return sampleSchema
	}
	return plugin.Schema{Attributes: []plugin.Attribute{{Name: "path", Type: "string"}}}
}

// TestGolden parses every testdata/*.hcl, decodes each plugin block and
// compares the result with its .golden file: the exact diagnostics for a
// broken config (err_*), a summary for an accepted one (ok_*).
func TestGolden(t *testing.T) {
	t.Setenv("GATEHOUSE_TEST_SECRET", envSecret)
	os.Unsetenv("GATEHOUSE_TEST_UNSET")
	files, err := filepath.Glob("testdata/*.hcl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden configs: %v", err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".hcl")
		t.Run(name, func(t *testing.T) {
			got, diags := render(t, path)
			if want := strings.HasPrefix(name, "err_"); diags.HasErrors() != want {
				t.Errorf("Load(%s) has errors = %v, want %v:\n%s", path, !want, want, got)
			}
			for _, secret := range []string{envSecret, fileSecret} {
				if strings.Contains(got, secret) {
					t.Errorf("output for %s shows secret %q:\n%s", path, secret, got)
				}
			}
			compareGolden(t, strings.TrimSuffix(path, ".hcl")+".golden", got)
		})
	}
}

// render loads path, decodes its plugin blocks and returns the text the
// golden file pins.
func render(t *testing.T, path string) (string, hcl.Diagnostics) {
	t.Helper()
	c, diags := Load(path)
	var out strings.Builder
	decoded := map[string]Decoded{}
	for _, b := range c.Blocks() {
		d, ds := DecodeBlock(b, schemaFor(b.Plugin))
		diags = append(diags, ds...)
		decoded[b.Key()] = d
	}
	if len(diags) > 0 {
		if err := c.WriteDiagnostics(&out, diags); err != nil {
			t.Fatalf("WriteDiagnostics: %v", err)
		}
		return out.String(), diags
	}
	describe(t, &out, c, decoded)
	return out.String(), diags
}

// describe writes a stable summary of an accepted config.
func describe(t *testing.T, w *strings.Builder, c *Config, decoded map[string]Decoded) {
	t.Helper()
	dir, err := filepath.Rel(must(filepath.Abs("testdata")), c.PluginDir)
	if err != nil {
		t.Fatalf("plugin dir %s: %v", c.PluginDir, err)
	}
	fmt.Fprintf(w, "plugin_dir: %s\n", filepath.ToSlash(dir))
	fmt.Fprintf(w, "listener: %+v\n", c.Listener)
	fmt.Fprintf(w, "sessions: %+v\n", c.Sessions)
	roles := make([]string, 0, len(c.Roles))
	for name := range c.Roles {
		roles = append(roles, name)
	}
	slices.Sort(roles)
	for _, name := range roles {
		fmt.Fprintf(w, "role %s: %v\n", name, c.Roles[name])
	}
	for _, b := range c.Blocks() {
		fmt.Fprintf(w, "%v sha256=%q env=%v\n", b, b.SHA256, b.Env)
		fmt.Fprintf(w, "  timeouts call=%v start=%v stop=%v health=%v restarts=%d msg=%d\n",
			b.CallTimeout, b.StartTimeout, b.StopTimeout, b.HealthInterval,
			b.MaxRestarts, b.MaxMessageBytes)
		d := decoded[b.Key()]
		fmt.Fprintf(w, "  config %v\n  sensitive %q\n", d, d.Sensitive())
	}
}

// compareGolden compares got with the golden file, or rewrites it under
// -update.
func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestWriteDiagnosticsNilConfig checks that diagnostics print without a
// parsed file.
func TestWriteDiagnosticsNilConfig(t *testing.T) {
	var c *Config
	var buf bytes.Buffer
	diags := hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Boom", Detail: "Detail."}}
	if err := c.WriteDiagnostics(&buf, diags); err != nil {
		t.Fatal(err)
	}
	if want := "Error: Boom\n\nDetail.\n\n"; buf.String() != want {
		t.Errorf("WriteDiagnostics = %q, want %q", buf.String(), want)
	}
}
