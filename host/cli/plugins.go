package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/host/supervisor"
	"github.com/gatehouse/gatehouse/shared"
	"github.com/spf13/cobra"
)

// Binary is one plugin binary found in plugin_dir.
type Binary struct {
	Name      string   `json:"name"`
	Path      string   `json:"path"`
	SHA256    string   `json:"sha256,omitempty"`
	Version   string   `json:"version,omitempty"`
	Protocols []string `json:"protocols,omitempty"`
	Error     string   `json:"error,omitempty"`
}

// pluginsFlags are the flags of the plugins commands.
type pluginsFlags struct {
	config, dir string
	probe, json bool
}

func newPluginsCmd() *cobra.Command {
	var f pluginsFlags
	cmd := &cobra.Command{
		Use:   "plugins",
		Short: "List and hash the plugin binaries in plugin_dir",
	}
	cmd.PersistentFlags().StringVarP(&f.config, "config", "c", "config.hcl", "config file whose plugin_dir to read")
	cmd.PersistentFlags().StringVar(&f.dir, "dir", "", "plugin directory (overrides the config's plugin_dir)")
	cmd.PersistentFlags().BoolVar(&f.json, "json", false, "print JSON")

	list := &cobra.Command{
		Use:   "list",
		Short: "List plugin binaries with their sha256; --probe also asks each who it is",
		Args:  args(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return listPlugins(cmd, f, nil) },
	}
	list.Flags().BoolVar(&f.probe, "probe", false, "start each plugin to read its name, version and protocols")
	hash := &cobra.Command{
		Use:   "hash [plugin...]",
		Short: "Print the sha256 of plugin binaries, for the sha256 pin of a block",
		RunE:  func(cmd *cobra.Command, names []string) error { return listPlugins(cmd, f, names) },
	}
	cmd.AddCommand(list, hash)
	return cmd
}

// listPlugins prints the binaries named, or all of them.
func listPlugins(cmd *cobra.Command, f pluginsFlags, names []string) error {
	dir, err := pluginDir(f)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		if names, err = binaryNames(dir); err != nil {
			return err
		}
	}
	bins := make([]Binary, 0, len(names))
	failed := false
	for _, name := range names {
		b := inspect(cmd, dir, name, f.probe)
		failed = failed || b.Error != ""
		bins = append(bins, b)
	}
	if err := printBinaries(cmd.OutOrStdout(), bins, f, names); err != nil {
		return err
	}
	if failed {
		return withCode(ExitNotFound, errReported)
	}
	return nil
}

func pluginDir(f pluginsFlags) (string, error) {
	if f.dir != "" {
		return f.dir, nil
	}
	cfg, diags := config.Load(f.config)
	if cfg.PluginDir == "" {
		return "", withCode(ExitInvalidConfig, fmt.Errorf("read %s: %s", f.config, diags.Error()))
	}
	return cfg.PluginDir, nil
}

// binaryNames lists the plugin names of the binaries in dir.
func binaryNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list plugin_dir: %w", err)
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutPrefix(e.Name(), shared.BinaryPrefix); ok && !e.IsDir() {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// inspect hashes, and with probe starts, the binary of plugin name.
func inspect(cmd *cobra.Command, dir, name string, probe bool) Binary {
	blk := &config.PluginBlock{Name: name, Plugin: name}
	path, sum, err := supervisor.Resolve(dir, blk)
	b := Binary{Name: name, Path: path, SHA256: sum}
	if err != nil {
		b.Error = err.Error()
		return b
	}
	if !probe {
		return b
	}
	info, err := supervisor.Probe(cmd.Context(), dir, blk, supervisor.Options{})
	if err != nil {
		b.Error = err.Error()
		return b
	}
	b.Version = info.Version
	for _, p := range info.Protocols {
		b.Protocols = append(b.Protocols, string(p))
	}
	return b
}

func printBinaries(w io.Writer, bins []Binary, f pluginsFlags, names []string) error {
	if f.json {
		return printJSON(w, bins)
	}
	t := newTable(w)
	if f.probe {
		t.row("NAME", "VERSION", "PROTOCOLS", "SHA256", "ERROR")
	} else {
		t.row("NAME", "SHA256", "ERROR")
	}
	for _, b := range bins {
		if f.probe {
			t.row(b.Name, b.Version, strings.Join(b.Protocols, ","), b.SHA256, b.Error)
		} else {
			t.row(b.Name, b.SHA256, b.Error)
		}
	}
	return t.flush()
}
