package cli

import (
	"fmt"
	"github.com/gatehouse/gatehouse/host/config"
	"time"

	"github.com/gatehouse/gatehouse/plugins/token-auth/tokens"
	"github.com/spf13/cobra"
)

func newTokenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Mint and revoke token-auth tokens",
	}
	var file, user, role, id string
	mint := &cobra.Command{
		Use:   "mint",
		Short: "Mint a token for a user and role; prints it once on stdout",
		Long: `Mint draws a new token, appends its SHA-256 with the user and role to the
tokens file that a token-auth block reads (tokens_file), and prints the
token once on stdout. Only the hash is stored: keep the token.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if user == "" || role == "" {
				return usageError(fmt.Errorf("--user and --role are required"))
			}
			token, rec, err := tokens.Mint(file, user, role, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "minted token %s for %s (role %s) in %s\n",
				rec.ID, rec.UserID, rec.Role, file)
			if _, builtIn := config.DefaultRoles[role]; !builtIn {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: role %q is not built in; the token grants "+
					"no scope until a role block in the config declares it\n", role)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), token)
			return err
		},
	}
	mint.Flags().StringVar(&file, "file", "data/tokens.jsonl", "tokens file of the token-auth block")
	mint.Flags().StringVar(&user, "user", "", "user id the token authenticates")
	mint.Flags().StringVar(&role, "role", "", "role of that user (admin, operator, channel, user or a configured role)")

	revoke := &cobra.Command{
		Use:   "revoke",
		Short: "Revoke a token by the id that mint printed",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id == "" {
				return usageError(fmt.Errorf("--id is required"))
			}
			if err := tokens.Revoke(file, id, time.Now()); err != nil {
				return notFoundCode(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked token %s\n", id)
			return nil
		},
	}
	revoke.Flags().StringVar(&file, "file", "data/tokens.jsonl", "tokens file of the token-auth block")
	revoke.Flags().StringVar(&id, "id", "", "id of the token to revoke")
	cmd.AddCommand(mint, revoke)
	return cmd
}
