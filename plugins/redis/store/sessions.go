package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/redis/go-redis/v9"
)

// session is the JSON stored under a session key. Expiry is kept in
// nanoseconds so that Lookup returns exactly what Bind stored; the key's
// own PXAT expiry is truncated to the millisecond, so Redis drops it no
// later than the binding ends.
type session struct {
	Principal plugin.Principal `json:"principal"`
	ExpiresAt int64            `json:"expires_at_ns"`
}

// Bind implements plugin.Sessions. A binding that has already expired
// removes any earlier one.
func (s *Store) Bind(ctx context.Context, key string, p plugin.Principal, expiresAt time.Time) error {
	err := validate("bind session", plugin.RequiredID("key", key), plugin.RequiredID("user id", p.UserID), plugin.ID("role", p.Role))
	if err != nil {
		return err
	}
	if expiresAt.IsZero() {
		return fmt.Errorf("bind session: expiry is required: %w", plugin.ErrInvalid)
	}
	raw, err := json.Marshal(session{Principal: p, ExpiresAt: expiresAt.UnixNano()})
	if err != nil {
		return fmt.Errorf("bind session: %v: %w", err, plugin.ErrInvalid)
	}
	if len(raw) > plugin.MaxPrincipalBytes {
		return fmt.Errorf("bind session: principal is longer than %d bytes: %w", plugin.MaxPrincipalBytes, plugin.ErrInvalid)
	}

	ctx, cancel := s.bound(ctx)
	defer cancel()
	if !expiresAt.After(time.Now()) {
		err = s.rdb.Del(ctx, s.keys.session(key)).Err()
	} else {
		err = s.rdb.SetArgs(ctx, s.keys.session(key), raw, redis.SetArgs{ExpireAt: expiresAt}).Err()
	}
	if err != nil {
		return s.fail(ctx, "bind session", err)
	}
	return nil
}

// Lookup implements plugin.Sessions.
func (s *Store) Lookup(ctx context.Context, key string) (plugin.Principal, time.Time, error) {
	if err := validate("lookup session", plugin.RequiredID("key", key)); err != nil {
		return plugin.Principal{}, time.Time{}, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	raw, err := s.rdb.Get(ctx, s.keys.session(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return plugin.Principal{}, time.Time{}, fmt.Errorf("session: %w", plugin.ErrNotFound)
	}
	if err != nil {
		return plugin.Principal{}, time.Time{}, s.fail(ctx, "lookup session", err)
	}

	var sess session
	if err := json.Unmarshal(raw, &sess); err != nil {
		return plugin.Principal{}, time.Time{}, fmt.Errorf("decode session: %v: %w", err, plugin.ErrInternal)
	}
	exp := time.Unix(0, sess.ExpiresAt)
	if !exp.After(time.Now()) {
		return plugin.Principal{}, time.Time{}, fmt.Errorf("session: expired: %w", plugin.ErrNotFound)
	}
	return sess.Principal, exp, nil
}

// Delete implements plugin.Sessions.
func (s *Store) Delete(ctx context.Context, key string) (bool, error) {
	if err := validate("delete session", plugin.RequiredID("key", key)); err != nil {
		return false, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	n, err := s.rdb.Del(ctx, s.keys.session(key)).Result()
	if err != nil {
		return false, s.fail(ctx, "delete session", err)
	}
	return n == 1, nil
}

// ListAudit implements plugin.Pairing. The cursor is the ID of the last
// record of the previous page.
func (s *Store) ListAudit(ctx context.Context, p plugin.Page) ([]plugin.AuditRecord, string, error) {
	start := "-"
	if p.Cursor != "" {
		last, err := strconv.ParseInt(p.Cursor, 10, 64)
		if err != nil || last < 0 {
			return nil, "", fmt.Errorf("list audit: bad cursor: %w", plugin.ErrInvalid)
		}
		start = "(" + strconv.FormatInt(last, 10) + "-0"
	}
	limit := plugin.ClampLimit(p)

	ctx, cancel := s.bound(ctx)
	defer cancel()
	msgs, err := s.rdb.XRangeN(ctx, s.keys.audit(), start, "+", int64(limit)+1).Result()
	if err != nil {
		return nil, "", s.fail(ctx, "list audit", err)
	}

	next := ""
	if len(msgs) > limit {
		msgs = msgs[:limit]
		next = strings.TrimSuffix(msgs[limit-1].ID, "-0")
	}
	out := make([]plugin.AuditRecord, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, auditRecord(m))
	}
	return out, next, nil
}

// auditRecord decodes one stream entry written by the Lua audit helper.
func auditRecord(m redis.XMessage) plugin.AuditRecord {
	str := func(k string) string { v, _ := m.Values[k].(string); return v }
	id, _ := strconv.ParseInt(strings.TrimSuffix(m.ID, "-0"), 10, 64)
	at, _ := strconv.ParseInt(str("at"), 10, 64)
	return plugin.AuditRecord{
		ID: id, Action: str("action"), ChannelType: str("channel_type"),
		ChannelID: str("channel_id"), Actor: str("actor"),
		At: time.UnixMilli(at), Detail: str("detail"),
	}
}
