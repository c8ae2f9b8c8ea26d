package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

// rawFile creates a database file at path by hand, at user_version
// version, and runs extra statements in it.
func rawFile(t *testing.T, path string, version int, extra ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("sql.Open(%s) = %v", path, err)
	}
	defer db.Close()
	stmts := append(append([]string{}, migrations[:version]...), extra...)
	stmts = append(stmts, fmt.Sprintf("PRAGMA user_version = %d", version))
	for _, q := range stmts {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("Exec(%.40q) = %v", q, err)
		}
	}
}

func userVersion(t *testing.T, s *Store) int {
	t.Helper()
	var v int
	if err := s.read.QueryRowContext(t.Context(), "PRAGMA user_version").Scan(&v); err != nil {
		t.Fatalf("PRAGMA user_version = %v", err)
	}
	return v
}

func TestMigrateUpgradesExistingFile(t *testing.T) {
	for v := range SchemaVersion {
		t.Run(fmt.Sprintf("from v%d", v), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			var extra []string
			if v == 1 {
				extra = []string{`INSERT INTO paired (channel_type, channel_id, paired_at, label)
					VALUES ('chat', 'old-room', 1700000000000000000, 'Old')`}
			}
			rawFile(t, path, v, extra...)

			s := openStore(t, Config{Path: path})
			if got := userVersion(t, s); got != SchemaVersion {
				t.Errorf("user_version after Open(v%d file) = %d, want %d", v, got, SchemaVersion)
			}
			if v == 1 {
				wantOldPairing(t, s)
			}
			exp := time.Now().Add(time.Hour)
			if err := s.Bind(t.Context(), "k", plugin.Principal{UserID: "u"}, exp); err != nil {
				t.Errorf("Bind() on a migrated v%d file = %v, want nil", v, err)
			}
		})
	}
}

// wantOldPairing checks that the row written at v1 survived migration.
func wantOldPairing(t *testing.T, s *Store) {
	t.Helper()
	page, _, err := s.ListPaired(t.Context(), plugin.Page{})
	if err != nil || len(page) != 1 {
		t.Fatalf("ListPaired() after migration = %v, %v, want the old pairing", page, err)
	}
	got := page[0]
	if got.ChannelID != "old-room" || got.Label != "Old" || got.ApprovedBy != "" || got.PairedAt.Unix() != 1700000000 {
		t.Errorf("ListPaired()[0] after migration = %+v, want old-room labelled Old", got)
	}
}

func TestMigrateRefusesNewerFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	rawFile(t, path, SchemaVersion)
	db, err := sql.Open("sqlite", path)
	if err == nil {
		_, err = db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1))
		db.Close()
	}
	if err != nil {
		t.Fatalf("set user_version of %s = %v", path, err)
	}

	s, err := Open(t.Context(), Config{Path: path})
	if err == nil {
		s.Close()
	}
	if !errors.Is(err, plugin.ErrInvalid) {
		t.Errorf("Open(file at v%d) = %v, want ErrInvalid", SchemaVersion+1, err)
	}
}

// TestConcurrentOpen opens one new file from several handles at once, as
// the pairing and session processes of one host do.
func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "race.db")
	const openers = 6
	stores := make([]*Store, openers)
	errs := make([]error, openers)
	var wg sync.WaitGroup
	for i := range openers {
		wg.Go(func() { stores[i], errs[i] = Open(t.Context(), Config{Path: path}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open(%s) opener %d = %v, want nil", path, i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	if got := userVersion(t, stores[0]); got != SchemaVersion {
		t.Errorf("user_version after concurrent opens = %d, want %d", got, SchemaVersion)
	}
	var mode string
	stores[0].read.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode)
	if mode != "wal" {
		t.Errorf("PRAGMA journal_mode = %q, want wal", mode)
	}
}

// TestTwoHandlesRaceApprovals races approvals of many codes between two
// stores on one file: every code is consumed exactly once.
func TestTwoHandlesRaceApprovals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "race.db")
	cfg := Config{Path: path, PairingConfig: plugin.PairingConfig{MaxPending: 100}}
	a, b := openStore(t, cfg), openStore(t, cfg)
	var codes []string
	for i := range 40 {
		pr, _, err := a.GenerateCode(t.Context(), plugin.CodeRequest{ChannelType: "chat", ChannelID: fmt.Sprint(i)})
		if err != nil {
			t.Fatalf("GenerateCode(%d) = %v", i, err)
		}
		codes = append(codes, pr.Code)
	}

	wins := make([]int, len(codes))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, s := range []*Store{a, b, a, b} {
		wg.Go(func() { approveAll(t.Context(), t, s, codes, wins, &mu) })
	}
	wg.Wait()
	for i, n := range wins {
		if n != 1 {
			t.Errorf("code %d approved %d times by racing handles, want 1", i, n)
		}
	}
}

func approveAll(ctx context.Context, t *testing.T, s *Store, codes []string, wins []int, mu *sync.Mutex) {
	for i, code := range codes {
		_, err := s.Approve(ctx, plugin.Approval{ChannelType: "chat", Code: code})
		switch {
		case err == nil:
			mu.Lock()
			wins[i]++
			mu.Unlock()
		case !errors.Is(err, plugin.ErrNotFound):
			t.Errorf("Approve(code %d) = %v, want nil or ErrNotFound", i, err)
		}
	}
}
