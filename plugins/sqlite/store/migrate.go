package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gatehouse/gatehouse/plugin"
)

// migrations upgrade the schema one version at a time: migrations[i]
// takes a file from user_version i to i+1. Append only; never edit a
// step that has shipped.
//
// Times are unix nanoseconds. A pending request with an empty channel_id
// was opened without a channel.
var migrations = []string{
	// 1: pairing.
	`CREATE TABLE pending (
		code         TEXT PRIMARY KEY,
		channel_type TEXT NOT NULL,
		channel_id   TEXT NOT NULL,
		user_name    TEXT NOT NULL,
		created_at   INTEGER NOT NULL,
		expires_at   INTEGER NOT NULL
	);
	CREATE INDEX pending_by_type ON pending (channel_type, created_at);
	CREATE INDEX pending_by_channel ON pending (channel_type, channel_id);
	CREATE TABLE paired (
		channel_type TEXT NOT NULL,
		channel_id   TEXT NOT NULL,
		paired_at    INTEGER NOT NULL,
		label        TEXT NOT NULL,
		PRIMARY KEY (channel_type, channel_id)
	) WITHOUT ROWID;
	CREATE TABLE audit (
		id           INTEGER PRIMARY KEY AUTOINCREMENT,
		action       TEXT NOT NULL,
		channel_type TEXT NOT NULL,
		channel_id   TEXT NOT NULL,
		actor        TEXT NOT NULL,
		at           INTEGER NOT NULL,
		detail       TEXT NOT NULL DEFAULT ''
	);`,

	// 2: approver of a pairing, expiry sweep, sessions.
	`ALTER TABLE paired ADD COLUMN approved_by TEXT NOT NULL DEFAULT '';
	CREATE INDEX pending_by_expiry ON pending (expires_at);
	CREATE TABLE sessions (
		key        TEXT PRIMARY KEY,
		principal  TEXT NOT NULL,
		expires_at INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX sessions_by_expiry ON sessions (expires_at);`,
}

// SchemaVersion is the user_version of a fully migrated file.
var SchemaVersion = len(migrations)

// migrate brings the file up to SchemaVersion. It reads the version inside
// an immediate transaction, so of two processes opening one file at once,
// the second waits and then finds nothing left to do.
func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", sqlErr(err))
	}
	defer tx.Rollback()

	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("migrate: read version: %w", sqlErr(err))
	}
	if v > SchemaVersion {
		return fmt.Errorf("migrate: file has schema version %d, this plugin knows up to %d: %w",
			v, SchemaVersion, plugin.ErrInvalid)
	}
	for ; v < SchemaVersion; v++ {
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migrate: version %d: %w", v+1, sqlErr(err))
		}
	}
	// PRAGMA takes no bound parameters; v is an int we computed.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
		return fmt.Errorf("migrate: write version: %w", sqlErr(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", sqlErr(err))
	}
	return nil
}
