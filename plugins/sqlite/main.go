// Command gatehouse-plugin-sqlite serves Gatehouse pairing and session
// binding from a SQLite file. Each config block that names it runs as its
// own process; a pairing block and a session block may share one file.
package main

import (
	"context"
	"encoding/json"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/plugins/sqlite/store"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0"

func main() { plugin.Serve(serveConfig()) }

// serveConfig describes the plugin; tests serve the same value in process.
func serveConfig() plugin.ServeConfig {
	return plugin.ServeConfig{
		Name:    "sqlite",
		Version: version,
		Schema:  store.Schema,
		Pairing: func(ctx context.Context, raw json.RawMessage) (plugin.Pairing, error) {
			return open(ctx, raw)
		},
		Sessions: func(ctx context.Context, raw json.RawMessage) (plugin.Sessions, error) {
			return open(ctx, raw)
		},
	}
}

// open decodes a config block and opens the store it names.
func open(ctx context.Context, raw json.RawMessage) (*store.Store, error) {
	var cfg store.Config
	if err := plugin.DecodeConfig(raw, &cfg); err != nil {
		return nil, err
	}
	s, err := store.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	plugin.Logger().Info("store open", "path", cfg.Path, "schema_version", store.SchemaVersion)
	return s, nil
}
