package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/gatehouse/gatehouse/host/server"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/spf13/cobra"
)

// streamFlush is how many rows of a streamed listing are aligned together.
const streamFlush = 500

func pairedCmd(f *clientFlags) *cobra.Command {
	var limit int
	var cursor string
	cmd := &cobra.Command{
		Use:   "paired",
		Short: "List paired channels (all of them, streamed; or one page with --limit/--cursor)",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := newClient(f)
			if limit > 0 || cursor != "" {
				raw, err := c.do(cmd.Context(), http.MethodGet, "/v1/pairing/paired"+pageQuery(limit, cursor), nil)
				if err != nil {
					return err
				}
				return output(cmd, f, raw, func(w io.Writer, l server.List[plugin.PairedChannel]) error {
					return printPaired(w, l.Items, l.NextCursor)
				})
			}
			resp, err := c.send(cmd.Context(), http.MethodGet, "/v1/pairing/paired", nil)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if f.json {
				_, err := io.Copy(cmd.OutOrStdout(), resp.Body)
				return err
			}
			return streamPaired(cmd.OutOrStdout(), resp.Body)
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "return one page of at most this many")
	cmd.Flags().StringVar(&cursor, "cursor", "", "page to return, from a previous next cursor")
	return cmd
}

// streamPaired prints a JSON array of channels as it arrives.
func streamPaired(w io.Writer, r io.Reader) error {
	dec := json.NewDecoder(r)
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	t := newTable(w)
	t.row("CHANNEL_TYPE", "CHANNEL_ID", "LABEL", "PAIRED_AT", "APPROVED_BY")
	for n := 1; dec.More(); n++ {
		var pc plugin.PairedChannel
		if err := dec.Decode(&pc); err != nil {
			return fmt.Errorf("decode response: %w", err)
		}
		t.row(pc.ChannelType, pc.ChannelID, pc.Label, when(pc.PairedAt), pc.ApprovedBy)
		if n%streamFlush == 0 {
			t.flush()
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("decode response: listing cut short: %w", err)
	}
	return t.flush()
}

func printPaired(w io.Writer, pcs []plugin.PairedChannel, next string) error {
	t := newTable(w)
	t.row("CHANNEL_TYPE", "CHANNEL_ID", "LABEL", "PAIRED_AT", "APPROVED_BY")
	for _, pc := range pcs {
		t.row(pc.ChannelType, pc.ChannelID, pc.Label, when(pc.PairedAt), pc.ApprovedBy)
	}
	if err := t.flush(); err != nil {
		return err
	}
	if next != "" {
		_, err := fmt.Fprintf(w, "next cursor: %s\n", next)
		return err
	}
	return nil
}

func auditCmd(f *clientFlags) *cobra.Command {
	var limit int
	var cursor string
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "List approvals, denials and revocations, oldest first, one page at a time",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, err := newClient(f).do(cmd.Context(), http.MethodGet, "/v1/pairing/audit"+pageQuery(limit, cursor), nil)
			if err != nil {
				return err
			}
			return output(cmd, f, raw, func(w io.Writer, l server.List[plugin.AuditRecord]) error {
				t := newTable(w)
				t.row("ID", "ACTION", "CHANNEL_TYPE", "CHANNEL_ID", "ACTOR", "AT", "DETAIL")
				for _, a := range l.Items {
					t.row(fmt.Sprint(a.ID), a.Action, a.ChannelType, a.ChannelID, a.Actor, when(a.At), a.Detail)
				}
				if err := t.flush(); err != nil {
					return err
				}
				if l.NextCursor != "" {
					fmt.Fprintf(w, "next cursor: %s\n", l.NextCursor)
				}
				return nil
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "page size (default the store's)")
	cmd.Flags().StringVar(&cursor, "cursor", "", "page to return, from a previous next cursor")
	return cmd
}
