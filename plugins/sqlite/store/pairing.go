package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

// newCodeAttempts bounds the retries when a fresh code collides with an
// open one (one chance in 2^40 per open request).
const newCodeAttempts = 5

const pendingColumns = `code, channel_type, channel_id, user_name, created_at, expires_at`

// GenerateCode opens a request for req's channel, or returns the channel's
// open request with reused set. Expired requests are swept first.
func (s *Store) GenerateCode(ctx context.Context, req plugin.CodeRequest) (plugin.PendingRequest, bool, error) {
	err := plugin.CheckFields(
		plugin.RequiredID("channel type", req.ChannelType),
		plugin.ID("channel id", req.ChannelID),
		plugin.Label("user name", req.UserName),
	)
	if err != nil {
		return plugin.PendingRequest{}, false, err
	}

	var pr plugin.PendingRequest
	var reused bool
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		now := time.Now()
		if _, err := tx.ExecContext(ctx, `DELETE FROM pending WHERE expires_at <= ?`, now.UnixNano()); err != nil {
			return fmt.Errorf("sweep pending: %w", sqlErr(err))
		}
		if req.ChannelID != "" {
			open, err := openRequestOf(ctx, tx, req.ChannelType, req.ChannelID)
			if err == nil {
				pr, reused = open, true
				return nil
			}
			if !errors.Is(err, plugin.ErrNotFound) {
				return err
			}
		}
		if err := s.checkCap(ctx, tx, req.ChannelType); err != nil {
			return err
		}
		pr, err = s.insertRequest(ctx, tx, req, now)
		return err
	})
	if err != nil {
		return plugin.PendingRequest{}, false, fmt.Errorf("generate code: %w", err)
	}
	return pr, reused, nil
}

// openRequestOf returns the open request of one channel, or ErrNotFound.
func openRequestOf(ctx context.Context, tx *sql.Tx, channelType, channelID string) (plugin.PendingRequest, error) {
	row := tx.QueryRowContext(ctx, `SELECT `+pendingColumns+` FROM pending
		WHERE channel_type = ? AND channel_id = ? AND expires_at > ? LIMIT 1`,
		channelType, channelID, time.Now().UnixNano())
	return scanPending(row)
}

// checkCap fails with ErrTooManyPending when channelType has no room for
// another open request.
func (s *Store) checkCap(ctx context.Context, tx *sql.Tx, channelType string) error {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM pending WHERE channel_type = ? AND expires_at > ?`,
		channelType, time.Now().UnixNano()).Scan(&n)
	if err != nil {
		return fmt.Errorf("count pending: %w", sqlErr(err))
	}
	if n >= s.maxPending {
		return fmt.Errorf("%d open requests for channel type %q: %w", n, channelType, plugin.ErrTooManyPending)
	}
	return nil
}

// insertRequest stores a new request under a fresh code.
func (s *Store) insertRequest(ctx context.Context, tx *sql.Tx, req plugin.CodeRequest, now time.Time) (plugin.PendingRequest, error) {
	pr := plugin.PendingRequest{
		ChannelType: req.ChannelType, ChannelID: req.ChannelID, UserName: req.UserName,
		CreatedAt: now, ExpiresAt: now.Add(s.codeTTL),
	}
	for range newCodeAttempts {
		code, err := plugin.NewCode()
		if err != nil {
			return pr, fmt.Errorf("%v: %w", err, plugin.ErrInternal)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO pending (`+pendingColumns+`)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING`,
			code, pr.ChannelType, pr.ChannelID, pr.UserName, now.UnixNano(), pr.ExpiresAt.UnixNano())
		if err != nil {
			return pr, fmt.Errorf("insert request: %w", sqlErr(err))
		}
		if n, _ := res.RowsAffected(); n == 1 {
			pr.Code = code
			return pr, nil
		}
	}
	return pr, fmt.Errorf("no free code after %d attempts: %w", newCodeAttempts, plugin.ErrInternal)
}

// takeRequest returns the open request with code issued for channelType,
// or ErrNotFound. The caller consumes it in the same transaction.
func takeRequest(ctx context.Context, tx *sql.Tx, channelType, code string) (plugin.PendingRequest, error) {
	row := tx.QueryRowContext(ctx, `SELECT `+pendingColumns+` FROM pending
		WHERE code = ? AND expires_at > ?`, code, time.Now().UnixNano())
	pr, err := scanPending(row)
	if err != nil {
		return pr, err
	}
	if !plugin.CodesEqual(pr.Code, code) || pr.ChannelType != channelType {
		return plugin.PendingRequest{}, fmt.Errorf("no open request with this code for channel type %q: %w",
			channelType, plugin.ErrNotFound)
	}
	return pr, nil
}

// consume deletes the request with code.
func consume(ctx context.Context, tx *sql.Tx, code string) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM pending WHERE code = ?`, code)
	if err != nil {
		return fmt.Errorf("consume code: %w", sqlErr(err))
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("code already consumed: %w", plugin.ErrNotFound)
	}
	return nil
}

// record appends an audit record.
func record(ctx context.Context, tx *sql.Tx, action, channelType, channelID, actor string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit (action, channel_type, channel_id, actor, at)
		VALUES (?, ?, ?, ?, ?)`, action, channelType, channelID, actor, at.UnixNano())
	if err != nil {
		return fmt.Errorf("record %s: %w", action, sqlErr(err))
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanPending(row scanner) (plugin.PendingRequest, error) {
	var pr plugin.PendingRequest
	var created, expires int64
	err := row.Scan(&pr.Code, &pr.ChannelType, &pr.ChannelID, &pr.UserName, &created, &expires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return pr, fmt.Errorf("no open request: %w", plugin.ErrNotFound)
	case err != nil:
		return pr, fmt.Errorf("read request: %w", sqlErr(err))
	}
	pr.CreatedAt, pr.ExpiresAt = time.Unix(0, created), time.Unix(0, expires)
	return pr, nil
}
