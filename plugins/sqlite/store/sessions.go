package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

// Bind stores p under key until expiresAt, replacing an earlier binding.
// About once a minute it also deletes expired sessions.
func (s *Store) Bind(ctx context.Context, key string, p plugin.Principal, expiresAt time.Time) error {
	doc, err := checkBinding(key, p, expiresAt)
	if err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		now := time.Now()
		if err := s.maybeSweep(ctx, tx, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (key, principal, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET principal = excluded.principal, expires_at = excluded.expires_at`,
			key, doc, expiresAt.UnixNano())
		if err != nil {
			return fmt.Errorf("store session: %w", sqlErr(err))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	return nil
}

// checkBinding validates a binding and returns the principal as JSON.
func checkBinding(key string, p plugin.Principal, expiresAt time.Time) (string, error) {
	err := plugin.CheckFields(plugin.RequiredID("session key", key), plugin.RequiredID("user id", p.UserID), plugin.ID("role", p.Role))
	if err != nil {
		return "", err
	}
	if expiresAt.IsZero() {
		return "", fmt.Errorf("expiry is required: %w", plugin.ErrInvalid)
	}
	doc, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("encode principal: %v: %w", err, plugin.ErrInvalid)
	}
	if len(doc) > plugin.MaxPrincipalBytes {
		return "", fmt.Errorf("principal is longer than %d bytes: %w", plugin.MaxPrincipalBytes, plugin.ErrInvalid)
	}
	return string(doc), nil
}

// maybeSweep deletes expired sessions when the last sweep of this handle
// is older than sessionSweepInterval.
func (s *Store) maybeSweep(ctx context.Context, tx *sql.Tx, now time.Time) error {
	last := s.lastSweep.Load()
	if now.UnixNano()-last < int64(sessionSweepInterval) || !s.lastSweep.CompareAndSwap(last, now.UnixNano()) {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, now.UnixNano()); err != nil {
		return fmt.Errorf("sweep sessions: %w", sqlErr(err))
	}
	return nil
}

// Lookup returns the principal bound to key and its expiry, or
// ErrNotFound when there is none or it has expired.
func (s *Store) Lookup(ctx context.Context, key string) (plugin.Principal, time.Time, error) {
	if err := plugin.CheckFields(plugin.RequiredID("session key", key)); err != nil {
		return plugin.Principal{}, time.Time{}, fmt.Errorf("lookup: %w", err)
	}
	var doc string
	var expires int64
	err := s.read.QueryRowContext(ctx, `SELECT principal, expires_at FROM sessions
		WHERE key = ? AND expires_at > ?`, key, time.Now().UnixNano()).Scan(&doc, &expires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return plugin.Principal{}, time.Time{}, fmt.Errorf("lookup: no session: %w", plugin.ErrNotFound)
	case err != nil:
		return plugin.Principal{}, time.Time{}, fmt.Errorf("lookup: %w", sqlErr(err))
	}
	var p plugin.Principal
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return plugin.Principal{}, time.Time{}, fmt.Errorf("lookup: decode principal: %v: %w", err, plugin.ErrInternal)
	}
	return p, time.Unix(0, expires), nil
}

// Delete removes the binding of key and reports whether a live one
// existed; an expired binding is removed too but reported as absent.
func (s *Store) Delete(ctx context.Context, key string) (bool, error) {
	if err := plugin.CheckFields(plugin.RequiredID("session key", key)); err != nil {
		return false, fmt.Errorf("delete: %w", err)
	}
	var live bool
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var expires int64
		err := tx.QueryRowContext(ctx, `DELETE FROM sessions WHERE key = ? RETURNING expires_at`, key).Scan(&expires)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return fmt.Errorf("delete session: %w", sqlErr(err))
		}
		live = expires > time.Now().UnixNano()
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("delete: %w", err)
	}
	return live, nil
}
