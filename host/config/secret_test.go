package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/hashicorp/hcl/v2"
)

// secretFixture writes a secret file next to a config in a temp dir,
// sets the secret env var and returns the config's path.
func secretFixture(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("GATEHOUSE_TEST_SECRET", envSecret)
	if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte(fileSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "gatehouse.hcl")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// stores is the pairing and session part every fixture shares.
const stores = `
pairing "p" {
  plugin = "sqlite"
}
session "s" {
  plugin = "sqlite"
}
`

// TestSecretsNeverPrinted misuses env() and file() values in every place
// that produces a diagnostic or a String, and checks that neither secret
// shows up.
func TestSecretsNeverPrinted(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"env in host number", `auth "a" {
  plugin       = "sample"
  max_restarts = env("GATEHOUSE_TEST_SECRET")
}`},
		{"file in host duration", `auth "a" {
  plugin       = "sample"
  call_timeout = file("secret.txt")
}`},
		{"file as plugin name", `auth "a" {
  plugin = file("secret.txt")
}`},
		{"env as scope", `role "r" {
  scopes = [env("GATEHOUSE_TEST_SECRET")]
}
auth "a" {
  plugin = "sample"
}`},
		{"env as cookie name", `sessions {
  cookie_name = "x ${env("GATEHOUSE_TEST_SECRET")}"
}
auth "a" {
  plugin = "sample"
}`},
		{"secrets in plugin config of the wrong type", `auth "a" {
  plugin = "sample"
  config {
    url     = env("GATEHOUSE_TEST_SECRET")
    retries = file("secret.txt")
    labels  = env("GATEHOUSE_TEST_SECRET")
    group "g" {
      role = { x = file("secret.txt") }
    }
  }
}`},
		{"secrets in arithmetic and calls", `auth "a" {
  plugin = "sample"
  config {
    url     = [env("GATEHOUSE_TEST_SECRET") + 1]
    bind_dn = env(file("secret.txt"))
  }
}`},
		{"secrets accepted", `auth "a" {
  plugin = "sample"
  env    = { PASS = env("GATEHOUSE_TEST_SECRET") }
  config {
    url       = [env("GATEHOUSE_TEST_SECRET")]
    bind_dn   = "cn=${file("secret.txt")}"
    bind_pass = file("secret.txt")
  }
}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, diags := Load(secretFixture(t, tt.body+stores))
			out := printAll(t, c, diags)
			for _, secret := range []string{envSecret, fileSecret} {
				if strings.Contains(out, secret) {
					t.Errorf("output shows secret %q:\n%s", secret, out)
				}
			}
		})
	}
}

// printAll decodes every block of c and returns the diagnostics text and
// every fmt rendering of the config, its blocks and decoded configs.
func printAll(t *testing.T, c *Config, diags hcl.Diagnostics) string {
	t.Helper()
	var out strings.Builder
	for _, b := range c.Blocks() {
		d, ds := DecodeBlock(b, sampleSchema)
		diags = append(diags, ds...)
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			fmt.Fprintf(&out, verb+"\n"+verb+"\n"+verb+"\n", b, *b, d)
		}
		fmt.Fprintf(&out, "%s\n%q\n", d.Redacted(), d.Sensitive())
	}
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		fmt.Fprintf(&out, verb+"\n"+verb+"\n", c, *c)
	}
	if err := c.WriteDiagnostics(&out, diags); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestSecretsReachThePlugin checks that the JSON for the plugin and the
// granted environment hold the real values.
func TestSecretsReachThePlugin(t *testing.T) {
	c, diags := Load(secretFixture(t, `auth "a" {
  plugin = "sample"
  env    = { PASS = env("GATEHOUSE_TEST_SECRET") }
  config {
    url       = ["ldap://x"]
    bind_pass = file("secret.txt")
  }
}`+stores))
	if diags.HasErrors() {
		t.Fatalf("Load: %v", diags)
	}
	if got := c.Auth[0].Env["PASS"]; got != envSecret {
		t.Errorf("Env[PASS] = %q, want %q", got, envSecret)
	}
	raw, diags := DecodeConfig(c.Auth[0], sampleSchema)
	if diags.HasErrors() {
		t.Fatalf("DecodeConfig: %v", diags)
	}
	if !strings.Contains(string(raw), `"bind_pass":"`+fileSecret+`"`) {
		t.Errorf("DecodeConfig = %s, want bind_pass %q", raw, fileSecret)
	}
}

// TestSensitivePaths checks both sources of sensitivity: the schema's
// flag on a literal, and the mark of env() on an undeclared attribute.
func TestSensitivePaths(t *testing.T) {
	c, diags := Load(secretFixture(t, `auth "a" {
  plugin = "sample"
  config {
    url       = ["ldap://x", env("GATEHOUSE_TEST_SECRET")]
    bind_pass = "literal"
    group "g" {
      role  = "admin"
      token = "t"
    }
  }
}`+stores))
	if diags.HasErrors() {
		t.Fatalf("Load: %v", diags)
	}
	schema := sampleSchema
	schema.Blocks = []plugin.Block{sampleSchema.Blocks[0]}
	schema.Blocks[0].Body.Attributes = []plugin.Attribute{
		{Name: "role", Type: "string"},
		{Name: "token", Type: "string", Sensitive: true},
	}
	d, diags := DecodeBlock(c.Auth[0], schema)
	if diags.HasErrors() {
		t.Fatalf("DecodeBlock: %v", diags)
	}
	got := strings.Join(d.Sensitive(), " ")
	if want := "bind_pass group[0].token url[1]"; got != want {
		t.Errorf("Sensitive() = %q, want %q", got, want)
	}
	if r := string(d.Redacted()); strings.Contains(r, "literal") || !strings.Contains(r, "ldap://x") {
		t.Errorf("Redacted() = %s, want bind_pass hidden and url[0] shown", r)
	}
}
