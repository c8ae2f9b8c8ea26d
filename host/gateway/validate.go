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
		// A block without a plugin name was already reported by Load.
		if b.Plugin != "" {
			diags = append(diags, checkBlock(ctx, cfg.PluginDir, b, opts)...)
		}
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
		return binaryError(dir, b, err)
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

// binaryError says what is wrong with the binary of b. A binary that
// resolves once its pin is dropped has the wrong checksum.
func binaryError(dir string, b *config.PluginBlock, err error) hcl.Diagnostics {
	unpinned := *b
	unpinned.SHA256 = ""
	if _, sum, uerr := supervisor.Resolve(dir, &unpinned); uerr == nil && b.SHA256 != "" {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Plugin checksum mismatch",
			Detail: fmt.Sprintf("The %s block pins sha256 %s, but the binary in plugin_dir has %s. "+
				"Check where the binary came from; `gatehouse plugins hash %s` prints its checksum.",
				b, b.SHA256, sum, b.Plugin),
			Subject: b.DeclRange.Ptr(),
		}}
	}
	switch {
	case errors.Is(err, plugin.ErrNotFound):
		return blockError(b, "Plugin binary not found", err)
	case errors.Is(err, plugin.ErrDenied):
		return blockError(b, "Plugin binary refused", err)
	}
	return blockError(b, "Invalid plugin binary", err)
}

func blockError(b *config.PluginBlock, summary string, err error) hcl.Diagnostics {
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf("The %s block: %v.", b, err),
		Subject:  b.DeclRange.Ptr(),
	}}
}
