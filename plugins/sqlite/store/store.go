// Package store keeps Gatehouse pairings and sessions in one SQLite file.
//
// A *Store serves both plugin.Pairing and plugin.Sessions. The pairing block
// and the session block of a host config usually run as two plugin
// processes on the same file; the store is written for that: the file is in
// WAL mode, every connection waits out a busy lock (busy_timeout), every
// write runs in an immediate transaction, and schema migrations run inside
// one, so two processes opening a new or old file at once agree on it.
//
// Inside one process, writes go through a pool of one connection and reads
// through a separate pool, so writers queue in Go instead of spinning on
// the file lock, and readers never wait for them (WAL).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// DefaultBusyTimeout is how long a connection waits for a lock that
// another connection or process holds, when the config is silent.
const DefaultBusyTimeout = 5 * time.Second

// sessionSweepInterval is how often Bind also deletes expired sessions.
const sessionSweepInterval = time.Minute

// maxReadConns caps the read pool.
const maxReadConns = 4

// Config is the config block of a sqlite pairing or session instance.
type Config struct {
	plugin.PairingConfig

	// Path is the database file. A relative path is resolved against the
	// working directory of the plugin process; missing parent directories
	// are created.
	Path string `json:"path"`
	// BusyTimeout bounds the wait for a lock held by another connection.
	BusyTimeout plugin.Duration `json:"busy_timeout,omitempty"`
}

// Schema describes the config block, as the plugin publishes it.
var Schema = plugin.Schema{
	Attributes: append([]plugin.Attribute{
		{Name: "path", Type: "string", Required: true,
			Description: "SQLite database file; relative paths resolve against the working directory."},
		{Name: "busy_timeout", Type: "string",
			Description: "How long to wait for a lock held by another process (default 5s)."},
	}, plugin.PairingAttributes...),
}

// Store is a SQLite-backed pairing and session store. It is safe for
// concurrent use, also by several processes on one file.
type Store struct {
	write *sql.DB // one connection, immediate transactions
	read  *sql.DB // query-only connections

	codeTTL    time.Duration
	maxPending int

	lastSweep atomic.Int64 // unix nanos of the last session sweep
	closed    atomic.Bool
}

var (
	_ plugin.Pairing  = (*Store)(nil)
	_ plugin.Sessions = (*Store)(nil)
)

// Open opens or creates the database at cfg.Path and migrates it to the
// current schema.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	ttl, maxPending, err := cfg.Resolved()
	if err != nil {
		return nil, err
	}
	path, err := preparePath(cfg.Path)
	if err != nil {
		return nil, err
	}
	busy := time.Duration(cfg.BusyTimeout)
	if busy == 0 {
		busy = DefaultBusyTimeout
	}

	s := &Store{codeTTL: ttl, maxPending: maxPending}
	if err := s.openPools(ctx, path, busy); err != nil {
		return nil, err
	}
	if err := migrate(ctx, s.write); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// openPools opens the write pool first: its connection switches the file
// to WAL, which the read pool relies on.
func (s *Store) openPools(ctx context.Context, path string, busy time.Duration) error {
	w, err := openPool(ctx, dsn(path, busy, true), 1, busy)
	if err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	r, err := openPool(ctx, dsn(path, busy, false), maxReadConns, busy)
	if err != nil {
		w.Close()
		return fmt.Errorf("open store %s: %w", path, err)
	}
	s.write, s.read = w, r
	return nil
}

// openPool opens a pool and its first connection. Connecting is retried
// for up to busy while the file is locked: when two processes switch a
// new file to WAL at once, SQLite answers one of them SQLITE_BUSY without
// consulting the busy handler (it would deadlock), so busy_timeout alone
// does not cover the first connection.
func openPool(ctx context.Context, dsn string, conns int, busy time.Duration) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, plugin.ErrInvalid)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	deadline := time.Now().Add(busy)
	for {
		err := db.PingContext(ctx)
		if err == nil {
			return db, nil
		}
		if !isBusy(err) || time.Now().After(deadline) || !sleepCtx(ctx, 10*time.Millisecond) {
			db.Close()
			return nil, fmt.Errorf("connect: %w", sqlErr(err))
		}
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED.
func isBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code() & 0xff
	return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
}

// sleepCtx waits d, and reports false when ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// dsn builds the connection string. The pragmas are DSN parameters so that
// every pooled connection gets them, not only the first.
func dsn(path string, busy time.Duration, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	if writer {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	return u.String()
}

// preparePath makes path absolute, creates its parent directories and, for
// a new database, an empty file readable by the owner only.
func preparePath(path string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("path is required: %w", plugin.ErrInvalid)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolve path %s: %v: %w", path, err, plugin.ErrInvalid)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return "", fmt.Errorf("create directory for %s: %v: %w", abs, err, plugin.ErrUnavailable)
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", fmt.Errorf("open %s: %v: %w", abs, err, plugin.ErrUnavailable)
	}
	return abs, f.Close()
}

// Close releases both pools. It may be called more than once.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return errors.Join(s.read.Close(), s.write.Close())
}

// withTx runs fn in an immediate transaction on the write pool and commits
// when fn returns nil.
func (s *Store) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", sqlErr(err))
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", sqlErr(err))
	}
	return nil
}

// sqlErr maps a database error into the plugin error vocabulary.
func sqlErr(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, sql.ErrConnDone), errors.Is(err, sql.ErrTxDone):
		return fmt.Errorf("%v: %w", err, plugin.ErrUnavailable)
	}
	if isBusy(err) {
		return fmt.Errorf("database is busy: %v: %w", err, plugin.ErrUnavailable)
	}
	return fmt.Errorf("%v: %w", err, plugin.ErrInternal)
}
