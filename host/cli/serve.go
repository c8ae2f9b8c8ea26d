package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/gatehouse/gatehouse/host/gateway"
	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"
)

func newServeCmd() *cobra.Command {
	var path, level string
	var jsonLogs bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the host: launch the plugins and serve the HTTP API",
		Long: `Serve loads the config, launches every plugin it declares and serves the
HTTP API until interrupted. SIGHUP reloads the config: the new plugin set
starts before the old one retires, and a broken config is refused while
the old set keeps serving. SIGINT or SIGTERM shut down gracefully.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := newLogger(cmd.ErrOrStderr(), level, jsonLogs)
			if err != nil {
				return usageError(err)
			}
			err = gateway.Run(cmd.Context(), gateway.Options{
				ConfigPath: path, Logger: log, Diagnostics: cmd.ErrOrStderr(),
			})
			if errors.Is(err, gateway.ErrInvalidConfig) {
				return withCode(ExitInvalidConfig, errReported)
			}
			return err
		},
	}
	configFlag(cmd, &path)
	cmd.Flags().StringVar(&level, "log-level", "info", "log level: trace, debug, info, warn or error")
	cmd.Flags().BoolVar(&jsonLogs, "log-json", false, "write logs as JSON lines")
	return cmd
}

func newValidateCmd() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check a config, including each plugin's config block",
		Long: `Validate parses the config, resolves and hashes each plugin binary, starts
each plugin only to read the schema of its config block, and checks the
block against it. Every problem is printed at once with file:line:col.
It exits 3 when the config is invalid.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, _ := newLogger(io.Discard, "error", false)
			err := gateway.Validate(cmd.Context(), path, cmd.ErrOrStderr(), log)
			if errors.Is(err, gateway.ErrInvalidConfig) {
				return withCode(ExitInvalidConfig, errReported)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is valid\n", path)
			return nil
		},
	}
	configFlag(cmd, &path)
	return cmd
}

func newLogger(w io.Writer, level string, jsonFormat bool) (hclog.Logger, error) {
	lvl := hclog.LevelFromString(level)
	if lvl == hclog.NoLevel {
		return nil, fmt.Errorf("unknown log level %q", level)
	}
	return hclog.New(&hclog.LoggerOptions{
		Name: "gatehouse", Level: lvl, Output: w, JSONFormat: jsonFormat,
		TimeFormat: "2006-01-02T15:04:05.000Z0700",
		Color:      hclog.ColorOff,
	}), nil
}
