package config

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/hashicorp/hcl/v2"
)

// TestDecodeConfig decodes small blocks against small schemas.
func TestDecodeConfig(t *testing.T) {
	nested := plugin.Schema{
		Attributes: []plugin.Attribute{{Name: "a", Type: "number", Required: true}},
		Blocks: []plugin.Block{{
			Name: "tls", Body: plugin.Schema{Attributes: []plugin.Attribute{{Name: "ca", Type: "string"}}},
		}, {
			Name: "server", Labels: []string{"host", "port"}, Repeated: true, Required: true,
			Body: plugin.Schema{Attributes: []plugin.Attribute{{Name: "weight", Type: "number"}}},
		}},
	}
	tests := []struct {
		name     string
		body     string // "" means no config block at all
		schema   plugin.Schema
		want     string
		wantDiag string // summary of the first error, "" for none
	}{
		{"no block, empty schema", "", plugin.Schema{}, `{}`, ""},
		{"no block, optional attribute", "", plugin.Schema{Attributes: []plugin.Attribute{{Name: "p", Type: "string"}}}, `{"p":null}`, ""},
		{"no block, required attribute", "", nested, "", "Missing required argument"},
		{"nested and labelled blocks", `
  a = 1
  tls { ca = "x" }
  server "h1" "389" { weight = 2 }
  server "h2" "636" {}`, nested,
			`{"a":1,"server":[{"host":"h1","port":"389","weight":2},{"host":"h2","port":"636","weight":null}],"tls":{"ca":"x"}}`, ""},
		{"missing required block", `a = 1`, nested, "", "Insufficient server blocks"},
		{"unknown block", "a = 1\n  server \"h\" \"1\" {}\n  tsl {}", nested, "", "Unsupported block type"},
		{"any type", `x = { k = [1, "a"] }`, plugin.Schema{Attributes: []plugin.Attribute{{Name: "x"}}}, `{"x":{"k":[1,"a"]}}`, ""},
		{"broken schema type", `x = 1`, plugin.Schema{Attributes: []plugin.Attribute{{Name: "x", Type: "lits(string)"}}}, "", "Invalid plugin schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := parseBlock(t, tt.body)
			got, diags := DecodeConfig(b, tt.schema)
			if tt.wantDiag != "" {
				if !diags.HasErrors() || diags[0].Summary != tt.wantDiag {
					t.Fatalf("DecodeConfig diagnostics = %v, want first %q", diags, tt.wantDiag)
				}
				if diags[0].Subject == nil {
					t.Errorf("DecodeConfig diagnostic %q has no range", diags[0].Summary)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("DecodeConfig: %v", diags)
			}
			if string(got) != tt.want {
				t.Errorf("DecodeConfig = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestDecodeNilBodyPointsAtHeader checks where a missing required
// attribute is reported when the block has no config block.
func TestDecodeNilBodyPointsAtHeader(t *testing.T) {
	b := parseBlock(t, "")
	schema := plugin.Schema{Attributes: []plugin.Attribute{{Name: "path", Type: "string", Required: true}}}
	_, diags := DecodeConfig(b, schema)
	if len(diags) != 1 {
		t.Fatalf("DecodeConfig diagnostics = %v, want one", diags)
	}
	if got := diags[0].Subject; got == nil || got.Start != b.DeclRange.Start {
		t.Errorf("diagnostic subject = %v, want start of %v", got, b.DeclRange)
	}
}

// parseBlock returns the pairing block of a small config whose config
// block is body, or which has none when body is empty.
func parseBlock(t *testing.T, body string) *PluginBlock {
	t.Helper()
	src := "auth \"a\" {\n  plugin = \"x\"\n}\nsession \"s\" {\n  plugin = \"x\"\n}\n" +
		"pairing \"p\" {\n  plugin = \"x\"\n"
	if body != "" {
		src += "  config {\n  " + body + "\n  }\n"
	}
	src += "}\n"
	c, diags := Parse([]byte(src), "test.hcl")
	if diags.HasErrors() {
		var buf strings.Builder
		c.WriteDiagnostics(&buf, diags)
		t.Fatalf("Parse:\n%s", buf.String())
	}
	if c.Pairing == nil || c.Pairing.DeclRange == (hcl.Range{}) {
		t.Fatalf("Parse gave no pairing block")
	}
	return c.Pairing
}
