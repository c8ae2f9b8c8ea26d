// Package cli is the gatehouse command line: serve and validate a config,
// list and hash plugin binaries, mint tokens, and operate a running host
// over its HTTP API.
//
// Exit codes are stable, for scripts: 0 ok, 1 failure, 2 usage, 3 invalid
// config, 4 denied or unauthenticated, 5 not found.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gatehouse/gatehouse/host/gateway"
	"github.com/spf13/cobra"
)

// Exit codes of the gatehouse command.
const (
	ExitOK            = 0
	ExitFailure       = 1
	ExitUsage         = 2
	ExitInvalidConfig = 3
	ExitDenied        = 4
	ExitNotFound      = 5
)

// exitError is an error with the exit code it ends the command with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode marks err to end the command with code.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// usageError marks err as a usage mistake.
func usageError(err error) error { return withCode(ExitUsage, err) }

// Execute runs the command line args, writing to stdout and stderr, and
// returns the exit code.
func Execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := NewRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code := exitCode(err)
	if !errors.Is(err, errReported) {
		fmt.Fprintf(stderr, "gatehouse: %v\n", err)
	}
	if code == ExitUsage {
		fmt.Fprintln(stderr, "Run 'gatehouse --help' for usage.")
	}
	return code
}

// errReported marks an error whose details were already printed, such as
// config diagnostics.
var errReported = errors.New("reported")

func exitCode(err error) int {
	if ee, ok := errors.AsType[*exitError](err); ok {
		return ee.code
	}
	switch {
	case errors.Is(err, gateway.ErrInvalidConfig):
		return ExitInvalidConfig
	case strings.HasPrefix(err.Error(), "unknown command"),
		strings.HasPrefix(err.Error(), "unknown flag"):
		return ExitUsage
	}
	return ExitFailure
}

// NewRoot returns the gatehouse command with every subcommand.
func NewRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "gatehouse",
		Short: "Gatehouse is a gateway host whose auth, pairing and sessions are plugins",
		Long: `Gatehouse authenticates requests, pairs chat channels through one-time
codes that an operator approves, and binds sessions, each through a plugin
binary it launches from plugin_dir.

Exit codes: 0 ok, 1 failure, 2 usage, 3 invalid config,
4 denied or unauthenticated, 5 not found.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	root.AddCommand(
		newServeCmd(), newValidateCmd(), newPluginsCmd(), newTokenCmd(),
		newPairingCmd(), newWhoamiCmd(), newLogoutCmd(), newReloadCmd(),
	)
	return root
}

// args wraps a cobra argument check so its failure is a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		return usageError(check(cmd, a))
	}
}

// configFlag adds --config to cmd.
func configFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVarP(path, "config", "c", "config.hcl", "path of the config file")
}
