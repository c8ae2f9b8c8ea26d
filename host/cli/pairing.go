package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/host/server"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/spf13/cobra"
)

func newPairingCmd() *cobra.Command {
	f := &clientFlags{}
	cmd := &cobra.Command{
		Use:   "pairing",
		Short: "Operate pairing on a running host: pending, approve, deny, paired, revoke, audit, request, status",
	}
	addClientFlags(cmd, f)
	cmd.AddCommand(
		pendingCmd(f), approveCmd(f), denyCmd(f), pairedCmd(f),
		revokeCmd(f), auditCmd(f), requestCmd(f), statusCmd(f),
	)
	return cmd
}

func pendingCmd(f *clientFlags) *cobra.Command {
	var channelType string
	cmd := &cobra.Command{
		Use:   "pending",
		Short: "List open pairing requests",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := "/v1/pairing/pending"
			if channelType != "" {
				path += "?channel_type=" + url.QueryEscape(channelType)
			}
			raw, err := newClient(f).do(cmd.Context(), http.MethodGet, path, nil)
			if err != nil {
				return err
			}
			return output(cmd, f, raw, func(w io.Writer, l server.List[server.Pending]) error {
				t := newTable(w)
				t.row("CODE", "CHANNEL_TYPE", "CHANNEL_ID", "USER_NAME", "AGE", "EXPIRES")
				for _, p := range l.Items {
					age := (time.Duration(p.AgeSeconds) * time.Second).String()
					t.row(p.Code, p.ChannelType, p.ChannelID, p.UserName, age, when(p.ExpiresAt))
				}
				return t.flush()
			})
		},
	}
	cmd.Flags().StringVar(&channelType, "channel-type", "", "only requests of this channel type")
	return cmd
}

func approveCmd(f *clientFlags) *cobra.Command {
	var in server.ApproveRequest
	cmd := &cobra.Command{
		Use:   "approve <channel-type> <code>",
		Short: "Approve a pairing request by its code (any case, spaces and hyphens allowed)",
		Args:  args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, a []string) error {
			in.ChannelType, in.Code = a[0], a[1]
			raw, err := newClient(f).do(cmd.Context(), http.MethodPost, "/v1/pairing/approve", in)
			if err != nil {
				return err
			}
			return output(cmd, f, raw, func(w io.Writer, pc plugin.PairedChannel) error {
				_, err := fmt.Fprintf(w, "paired %s/%s %s\n", pc.ChannelType, pc.ChannelID, pc.Label)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&in.UserID, "user-id", "", "channel id, when the request was opened without one")
	cmd.Flags().StringVar(&in.UserName, "user-name", "", "label of the paired channel")
	return cmd
}

func denyCmd(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "deny <channel-type> <code>",
		Short: "Discard a pairing request without pairing",
		Args:  args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, a []string) error {
			in := server.DenyRequest{ChannelType: a[0], Code: a[1]}
			raw, err := newClient(f).do(cmd.Context(), http.MethodPost, "/v1/pairing/deny", in)
			if err != nil {
				return err
			}
			return output(cmd, f, raw, func(w io.Writer, pr plugin.PendingRequest) error {
				_, err := fmt.Fprintf(w, "denied %s for %s/%s\n", pr.Code, pr.ChannelType, pr.ChannelID)
				return err
			})
		},
	}
}

func revokeCmd(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke <channel-type> <channel-id>",
		Short: "Remove the pairing of a channel",
		Args:  args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, a []string) error {
			in := server.RevokeRequest{ChannelType: a[0], ChannelID: a[1]}
			raw, err := newClient(f).do(cmd.Context(), http.MethodPost, "/v1/pairing/revoke", in)
			if err != nil {
				return err
			}
			return output(cmd, f, raw, func(w io.Writer, _ map[string]bool) error {
				_, err := fmt.Fprintf(w, "revoked %s/%s\n", a[0], a[1])
				return err
			})
		},
	}
}

func requestCmd(f *clientFlags) *cobra.Command {
	var userName string
	cmd := &cobra.Command{
		Use:   "request <channel-type> <channel-id>",
		Short: "Open a pairing request for a channel, as a channel adapter does",
		Args:  args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, a []string) error {
			in := server.OpenRequest{ChannelType: a[0], ChannelID: a[1], UserName: userName}
			raw, err := newClient(f).do(cmd.Context(), http.MethodPost, "/v1/pairing/requests", in)
			if err != nil {
				return err
			}
			return output(cmd, f, raw, func(w io.Writer, r server.OpenResponse) error {
				_, err := fmt.Fprintf(w, "%s (expires %s)\n", r.Code, when(r.ExpiresAt))
				return err
			})
		},
	}
	cmd.Flags().StringVar(&userName, "user-name", "", "who asks, shown to the operator")
	return cmd
}

func statusCmd(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "status <channel-type> <channel-id>",
		Short: "Say whether a channel is paired; exits 5 when it is not",
		Args:  args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, a []string) error {
			q := url.Values{"channel_type": {a[0]}, "channel_id": {a[1]}}
			raw, err := newClient(f).do(cmd.Context(), http.MethodGet, "/v1/pairing/status?"+q.Encode(), nil)
			if err != nil {
				return err
			}
			var st struct{ Paired bool }
			if err := json.Unmarshal(raw, &st); err != nil {
				return fmt.Errorf("decode response: %w", err)
			}
			if err := output(cmd, f, raw, func(w io.Writer, _ any) error {
				_, err := fmt.Fprintf(w, "paired: %t\n", st.Paired)
				return err
			}); err != nil || st.Paired {
				return err
			}
			return withCode(ExitNotFound, errReported)
		},
	}
}

// pageQuery is ?limit=&cursor= when set.
func pageQuery(limit int, cursor string) string {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}
