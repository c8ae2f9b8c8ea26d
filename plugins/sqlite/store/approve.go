package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

// Approve consumes the code and pairs the channel it was issued to. When
// the request was opened without a channel, a.UserID names it. The label is
// a.UserName, or the requester's name when that is empty. Approving a
// channel that is already paired replaces its label and approver.
func (s *Store) Approve(ctx context.Context, a plugin.Approval) (plugin.PairedChannel, error) {
	code, err := s.checkDecision(a.ChannelType, a.Code, a.Actor)
	if err == nil {
		err = plugin.CheckFields(plugin.ID("user id", a.UserID), plugin.Label("user name", a.UserName))
	}
	if err != nil {
		return plugin.PairedChannel{}, fmt.Errorf("approve: %w", err)
	}

	var pc plugin.PairedChannel
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		pr, err := takeRequest(ctx, tx, a.ChannelType, code)
		if err != nil {
			return err
		}
		pc = pairingOf(pr, a, time.Now())
		if pc.ChannelID == "" {
			return fmt.Errorf("request has no channel and no user id names one: %w", plugin.ErrInvalid)
		}
		if err := consume(ctx, tx, code); err != nil {
			return err
		}
		if err := upsertPaired(ctx, tx, pc); err != nil {
			return err
		}
		return record(ctx, tx, plugin.ActionApproved, pc.ChannelType, pc.ChannelID, a.Actor, pc.PairedAt)
	})
	if err != nil {
		return plugin.PairedChannel{}, fmt.Errorf("approve: %w", err)
	}
	return pc, nil
}

// pairingOf builds the pairing that approving pr with a creates.
func pairingOf(pr plugin.PendingRequest, a plugin.Approval, now time.Time) plugin.PairedChannel {
	pc := plugin.PairedChannel{
		ChannelID: pr.ChannelID, ChannelType: pr.ChannelType,
		PairedAt: now, Label: a.UserName, ApprovedBy: a.Actor,
	}
	if pc.ChannelID == "" {
		pc.ChannelID = a.UserID
	}
	if pc.Label == "" {
		pc.Label = pr.UserName
	}
	return pc
}

func upsertPaired(ctx context.Context, tx *sql.Tx, pc plugin.PairedChannel) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO paired (channel_type, channel_id, paired_at, label, approved_by)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (channel_type, channel_id) DO UPDATE SET
			paired_at = excluded.paired_at, label = excluded.label, approved_by = excluded.approved_by`,
		pc.ChannelType, pc.ChannelID, pc.PairedAt.UnixNano(), pc.Label, pc.ApprovedBy)
	if err != nil {
		return fmt.Errorf("pair channel: %w", sqlErr(err))
	}
	return nil
}

// Deny consumes the code without pairing and returns the request it
// discarded.
func (s *Store) Deny(ctx context.Context, d plugin.Denial) (plugin.PendingRequest, error) {
	code, err := s.checkDecision(d.ChannelType, d.Code, d.Actor)
	if err != nil {
		return plugin.PendingRequest{}, fmt.Errorf("deny: %w", err)
	}

	var pr plugin.PendingRequest
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		if pr, err = takeRequest(ctx, tx, d.ChannelType, code); err != nil {
			return err
		}
		if err := consume(ctx, tx, code); err != nil {
			return err
		}
		return record(ctx, tx, plugin.ActionDenied, pr.ChannelType, pr.ChannelID, d.Actor, time.Now())
	})
	if err != nil {
		return plugin.PendingRequest{}, fmt.Errorf("deny: %w", err)
	}
	return pr, nil
}

// checkDecision validates the fields approvals and denials share and
// returns the normalised code.
func (s *Store) checkDecision(channelType, code, actor string) (string, error) {
	if err := plugin.CheckFields(plugin.RequiredID("channel type", channelType), plugin.ID("actor", actor)); err != nil {
		return "", err
	}
	return plugin.NormalizeCode(code)
}

// Revoke removes the pairing of a channel and reports whether there was
// one. Only an actual removal is audited.
func (s *Store) Revoke(ctx context.Context, r plugin.Revocation) (bool, error) {
	err := plugin.CheckFields(
		plugin.RequiredID("channel id", r.ChannelID),
		plugin.RequiredID("channel type", r.ChannelType),
		plugin.ID("actor", r.Actor),
	)
	if err != nil {
		return false, fmt.Errorf("revoke: %w", err)
	}

	var removed bool
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM paired WHERE channel_type = ? AND channel_id = ?`,
			r.ChannelType, r.ChannelID)
		if err != nil {
			return fmt.Errorf("delete pairing: %w", sqlErr(err))
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		removed = true
		return record(ctx, tx, plugin.ActionRevoked, r.ChannelType, r.ChannelID, r.Actor, time.Now())
	})
	if err != nil {
		return false, fmt.Errorf("revoke: %w", err)
	}
	return removed, nil
}

// IsPaired reports whether the channel is paired. Note the argument order.
func (s *Store) IsPaired(ctx context.Context, channelID, channelType string) (bool, error) {
	if err := plugin.CheckFields(plugin.RequiredID("channel id", channelID), plugin.RequiredID("channel type", channelType)); err != nil {
		return false, fmt.Errorf("is paired: %w", err)
	}
	var one int
	err := s.read.QueryRowContext(ctx, `SELECT 1 FROM paired WHERE channel_type = ? AND channel_id = ?`,
		channelType, channelID).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("is paired: %w", sqlErr(err))
	}
	return true, nil
}
