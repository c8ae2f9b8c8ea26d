package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

// Cursor kinds; a cursor of one listing is refused by the other.
const (
	cursorPaired = "paired"
	cursorAudit  = "audit"
)

// maxCursorBytes refuses absurd cursors before decoding them.
const maxCursorBytes = 4 * plugin.MaxIDBytes

// ListPending returns the open requests, of one channel type when
// channelType is not empty, oldest first.
func (s *Store) ListPending(ctx context.Context, channelType string) ([]plugin.PendingRequest, error) {
	if err := plugin.CheckFields(plugin.ID("channel type", channelType)); err != nil {
		return nil, fmt.Errorf("list pending: %w", err)
	}
	query := `SELECT ` + pendingColumns + ` FROM pending WHERE expires_at > ?`
	args := []any{time.Now().UnixNano()}
	if channelType != "" {
		query += ` AND channel_type = ?`
		args = append(args, channelType)
	}
	rows, err := s.read.QueryContext(ctx, query+` ORDER BY created_at, rowid`, args...)
	if err != nil {
		return nil, fmt.Errorf("list pending: %w", sqlErr(err))
	}
	out, err := collect(rows, scanPending)
	if err != nil {
		return nil, fmt.Errorf("list pending: %w", err)
	}
	return out, nil
}

// ListPaired returns one page of paired channels ordered by channel type
// and id. The cursor holds the last key of the page, so a page costs one
// index range scan however many pairings there are.
func (s *Store) ListPaired(ctx context.Context, p plugin.Page) ([]plugin.PairedChannel, string, error) {
	after := []string{"", ""}
	if p.Cursor != "" {
		var err error
		if after, err = decodeCursor(p.Cursor, cursorPaired, 2); err != nil {
			return nil, "", fmt.Errorf("list paired: %w", err)
		}
	}
	limit := plugin.ClampLimit(p)
	rows, err := s.read.QueryContext(ctx, `SELECT channel_type, channel_id, paired_at, label, approved_by
		FROM paired WHERE (channel_type, channel_id) > (?, ?)
		ORDER BY channel_type, channel_id LIMIT ?`, after[0], after[1], limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list paired: %w", sqlErr(err))
	}
	page, err := collect(rows, scanPaired)
	if err != nil {
		return nil, "", fmt.Errorf("list paired: %w", err)
	}
	if len(page) <= limit {
		return page, "", nil
	}
	last := page[limit-1]
	return page[:limit], encodeCursor(cursorPaired, last.ChannelType, last.ChannelID), nil
}

// ListAudit returns one page of audit records, oldest first.
func (s *Store) ListAudit(ctx context.Context, p plugin.Page) ([]plugin.AuditRecord, string, error) {
	var after int64
	if p.Cursor != "" {
		key, err := decodeCursor(p.Cursor, cursorAudit, 1)
		if err == nil {
			after, err = strconv.ParseInt(key[0], 10, 64)
		}
		if err != nil {
			return nil, "", fmt.Errorf("list audit: bad cursor: %w", plugin.ErrInvalid)
		}
	}
	limit := plugin.ClampLimit(p)
	rows, err := s.read.QueryContext(ctx, `SELECT id, action, channel_type, channel_id, actor, at, detail
		FROM audit WHERE id > ? ORDER BY id LIMIT ?`, after, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list audit: %w", sqlErr(err))
	}
	page, err := collect(rows, scanAudit)
	if err != nil {
		return nil, "", fmt.Errorf("list audit: %w", err)
	}
	if len(page) <= limit {
		return page, "", nil
	}
	last := page[limit-1]
	return page[:limit], encodeCursor(cursorAudit, strconv.FormatInt(last.ID, 10)), nil
}

// encodeCursor wraps a listing's last key in an opaque string.
func encodeCursor(kind string, key ...string) string {
	b, _ := json.Marshal(append([]string{kind}, key...))
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor returns the key in a cursor of kind, or ErrInvalid.
func decodeCursor(c, kind string, n int) ([]string, error) {
	bad := fmt.Errorf("bad cursor: %w", plugin.ErrInvalid)
	if len(c) > maxCursorBytes {
		return nil, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, bad
	}
	var parts []string
	if err := json.Unmarshal(b, &parts); err != nil || len(parts) != n+1 || parts[0] != kind {
		return nil, bad
	}
	return parts[1:], nil
}

func scanPaired(row scanner) (plugin.PairedChannel, error) {
	var pc plugin.PairedChannel
	var at int64
	if err := row.Scan(&pc.ChannelType, &pc.ChannelID, &at, &pc.Label, &pc.ApprovedBy); err != nil {
		return pc, fmt.Errorf("read pairing: %w", sqlErr(err))
	}
	pc.PairedAt = time.Unix(0, at)
	return pc, nil
}

func scanAudit(row scanner) (plugin.AuditRecord, error) {
	var r plugin.AuditRecord
	var at int64
	if err := row.Scan(&r.ID, &r.Action, &r.ChannelType, &r.ChannelID, &r.Actor, &at, &r.Detail); err != nil {
		return r, fmt.Errorf("read audit record: %w", sqlErr(err))
	}
	r.At = time.Unix(0, at)
	return r, nil
}

// collect scans every row and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, sqlErr(err)
	}
	return out, nil
}
