package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/host/supervisor"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"
)

// Validate checks the config at path as serve would, without serving:
// it parses the file, resolves and hashes each plugin binary, probes each
// plugin for the schema of its config block and checks the block against
// it. Every diagnostic goes to w at once; the result is ErrInvalidConfig
// when any is an error.
func Validate(ctx context.Context, path string, w io.Writer, log hclog.Logger) error {
	cfg, diags := config.Load(path)
	opts := supervisor.Options{Logger: log}
	for _, b := range cfg.Blocks() {
		diags = append(diags, checkBlock(ctx, cfg.PluginDir, b, opts)...)
	}
	if len(diags) > 0 {
		cfg.WriteDiagnostics(w, diags)
	}
	if diags.HasErrors() {
		return ErrInvalidConfig
	}
	return nil
}

// checkBlock checks one plugin block against its binary.
func checkBlock(ctx context.Context, dir string, b *config.PluginBlock, opts supervisor.Options) hcl.Diagnostics {
	if _, _, err := supervisor.Resolve(dir, b); err != nil {
		return blockError(b, binarySummary(err), err)
	}
	info, err := supervisor.Probe(ctx, dir, b, opts)
	if err != nil {
		return blockError(b, "Plugin did not start", err)
	}
	if !slices.Contains(info.Protocols, b.Protocol) {
		return blockError(b, "Plugin does not serve "+string(b.Protocol),
			fmt.Errorf("plugin %s serves %v", info.Name, info.Protocols))
	}
	_, diags := config.DecodeConfig(b, info.Schema)
	return diags
}

// binarySummary names what is wrong with a plugin binary.
func binarySummary(err error) string {
	switch {
	case errors.Is(err, plugin.ErrNotFound):
		return "Plugin binary not found"
	case errors.Is(err, plugin.ErrDenied):
		return "Plugin binary refused"
	}
	return "Invalid plugin binary"
}

func blockError(b *config.PluginBlock, summary string, err error) hcl.Diagnostics {
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf("The %s block: %v.", b, err),
		Subject:  b.DeclRange.Ptr(),
	}}
}
