// Command gatehouse-plugin-token-auth authenticates requests by bearer
// tokens that Gatehouse minted and stores only as SHA-256 hashes, in its
// config block or in a tokens file written by `gatehouse token mint`.
package main

import (
	"context"
	"encoding/json"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/plugins/token-auth/tokens"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0"

func main() { plugin.Serve(serveConfig()) }

// serveConfig describes the plugin; tests serve the same value in process.
func serveConfig() plugin.ServeConfig {
	return plugin.ServeConfig{
		Name:    "token-auth",
		Version: version,
		Schema:  tokens.Schema,
		Auth: func(ctx context.Context, raw json.RawMessage) (plugin.Auth, error) {
			return tokens.New(ctx, raw)
		},
	}
}
