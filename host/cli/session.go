package cli

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/host/server"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/spf13/cobra"
)

func newWhoamiCmd() *cobra.Command {
	f := &clientFlags{}
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show who the token authenticates on a running host",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, err := newClient(f).do(cmd.Context(), http.MethodGet, "/v1/whoami", nil)
			if err != nil {
				return err
			}
			return output(cmd, f, raw, func(w io.Writer, id server.Identity) error {
				t := newTable(w)
				t.row("USER", id.Principal.UserID)
				t.row("ROLE", id.Principal.Role)
				t.row("SCOPES", strings.Join(id.Scopes, ","))
				t.row("VIA", id.Via)
				t.row("EXPIRES", when(id.ExpiresAt))
				return t.flush()
			})
		},
	}
	addClientFlags(cmd, f)
	return cmd
}

func newLogoutCmd() *cobra.Command {
	f := &clientFlags{}
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "End the session of a session token (ghs_…)",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := newClient(f).do(cmd.Context(), http.MethodPost, "/v1/logout", nil); err != nil {
				return err
			}
			if !f.json {
				fmt.Fprintln(cmd.OutOrStdout(), "logged out")
			}
			return nil
		},
	}
	addClientFlags(cmd, f)
	return cmd
}

func newReloadCmd() *cobra.Command {
	f := &clientFlags{}
	cmd := &cobra.Command{
		Use:   "reload",
		Short: "Ask a running host to reload its config (admin scope)",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, err := newClient(f).do(cmd.Context(), http.MethodPost, "/v1/admin/reload", nil)
			if err != nil {
				return err
			}
			return output(cmd, f, raw, func(w io.Writer, _ map[string]bool) error {
				_, err := fmt.Fprintln(w, "reloaded")
				return err
			})
		},
	}
	addClientFlags(cmd, f)
	return cmd
}

// notFoundCode gives an error of plugin.ErrNotFound exit code 5.
func notFoundCode(err error) error {
	if errors.Is(err, plugin.ErrNotFound) {
		return withCode(ExitNotFound, err)
	}
	return err
}
