package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/plugin/plugintest"
	"github.com/gatehouse/gatehouse/plugins/token-auth/tokens"
)

// TestOverGRPC configures the plugin the way the host does, from an HCL
// block decoded against the schema the plugin publishes over the wire,
// then checks requests through the real gRPC adapters.
func TestOverGRPC(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.jsonl")
	tok, rec, err := tokens.Mint(path, "alice", "operator", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	inline, err := tokens.Generate()
	if err != nil {
		t.Fatal(err)
	}

	c := plugintest.Connect(t, serveConfig())
	info, err := c.Info(t.Context())
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.Name != "token-auth" || !slices.Equal(info.Protocols, []plugin.Protocol{plugin.ProtocolAuth}) {
		t.Fatalf("Info = %+v, want token-auth serving auth", info)
	}
	raw := decodeBlock(t, info.Schema, fmt.Sprintf(`
    tokens_file = %q
    token {
      sha256  = %q
      user_id = "adapter"
      role    = "channel"
    }`, path, tokens.Hash(inline)))
	if err := c.Configure(t.Context(), plugin.ProtocolAuth, "tokens", raw); err != nil {
		t.Fatalf("Configure(%s): %v", raw, err)
	}

	auth := c.Auth()
	minted, _, err := tokens.Mint(path, "carol", "admin", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		header string
		want   plugin.Outcome
		user   string
	}{
		{"file token", "Bearer " + tok, plugin.OutcomeSuccess, "alice"},
		{"inline token", "Bearer " + inline, plugin.OutcomeSuccess, "adapter"},
		{"minted after configure", "Bearer " + minted, plugin.OutcomeSuccess, "carol"},
		{"basic", "Basic YWxpY2U6cHc=", plugin.OutcomeNoCredential, ""},
		{"wrong token", "Bearer " + tok[:len(tok)-2] + "AA", plugin.OutcomeFailure, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := auth.Check(t.Context(), &plugin.CheckRequest{
				Method: "GET", Path: "/", Header: http.Header{"Authorization": {tt.header}},
			})
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if res.Outcome != tt.want || res.Principal.UserID != tt.user {
				t.Errorf("Check(%s) = %v %q (%s), want %v %q",
					tt.name, res.Outcome, res.Principal.UserID, res.Reason, tt.want, tt.user)
			}
			if tt.user == "alice" && res.Principal.Metadata["token_id"] != rec.ID {
				t.Errorf("token_id = %v, want %s", res.Principal.Metadata["token_id"], rec.ID)
			}
		})
	}
}

// decodeBlock parses an auth block with body as its config block and
// returns its JSON form, as the host would send it.
func decodeBlock(t *testing.T, s plugin.Schema, body string) []byte {
	t.Helper()
	src := `auth "tokens" {
  plugin = "token-auth"
  config {` + body + `
  }
}
pairing "p" {
  plugin = "sqlite"
}
session "s" {
  plugin = "sqlite"
}
`
	cfg, diags := config.Parse([]byte(src), "test.hcl")
	if !diags.HasErrors() {
		var raw []byte
		raw, diags = config.DecodeConfig(cfg.Auth[0], s)
		if !diags.HasErrors() {
			return raw
		}
	}
	var buf strings.Builder
	cfg.WriteDiagnostics(&buf, diags)
	t.Fatalf("config:\n%s", buf.String())
	return nil
}

// TestSchemaCatchesTypos checks that the published schema makes the host
// report a misspelt attribute with a suggestion.
func TestSchemaCatchesTypos(t *testing.T) {
	src := `auth "tokens" {
  plugin = "token-auth"
  config {
    tokensfile = "data/tokens.jsonl"
  }
}
pairing "p" {
  plugin = "sqlite"
}
session "s" {
  plugin = "sqlite"
}
`
	cfg, diags := config.Parse([]byte(src), "test.hcl")
	if diags.HasErrors() {
		t.Fatalf("Parse: %v", diags)
	}
	_, diags = config.DecodeConfig(cfg.Auth[0], tokens.Schema)
	var buf strings.Builder
	cfg.WriteDiagnostics(&buf, diags)
	if want := `Did you mean "tokens_file"?`; !strings.Contains(buf.String(), want) {
		t.Errorf("diagnostics = %s, want %s", buf.String(), want)
	}
}
