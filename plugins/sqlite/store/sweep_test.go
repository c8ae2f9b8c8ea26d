package store

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

// count returns the number of rows of table.
func count(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.read.QueryRowContext(t.Context(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatalf("count %s = %v", table, err)
	}
	return n
}

func TestSweepPending(t *testing.T) {
	s := openStore(t, Config{Path: filepath.Join(t.TempDir(), "sweep.db")})
	past := time.Now().Add(-time.Hour).UnixNano()
	for _, code := range []string{"AAAAAAAA", "BBBBBBBB"} {
		_, err := s.write.ExecContext(t.Context(), `INSERT INTO pending (`+pendingColumns+`)
			VALUES (?, 'chat', ?, '', ?, ?)`, code, code, past, past)
		if err != nil {
			t.Fatalf("insert expired request = %v", err)
		}
	}
	if _, _, err := s.GenerateCode(t.Context(), plugin.CodeRequest{ChannelType: "mail"}); err != nil {
		t.Fatalf("GenerateCode() = %v", err)
	}
	if n := count(t, s, "pending"); n != 1 {
		t.Errorf("pending rows after GenerateCode = %d, want 1 (expired ones swept)", n)
	}
}

func TestSweepSessions(t *testing.T) {
	s := openStore(t, Config{Path: filepath.Join(t.TempDir(), "sweep.db")})
	p := plugin.Principal{UserID: "u"}
	for _, k := range []string{"old-1", "old-2"} {
		if err := s.Bind(t.Context(), k, p, time.Now().Add(-time.Minute)); err != nil {
			t.Fatalf("Bind(%s) = %v", k, err)
		}
	}
	s.lastSweep.Store(0) // as if the last sweep were long ago
	if err := s.Bind(t.Context(), "live", p, time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("Bind(live) = %v", err)
	}
	if n := count(t, s, "sessions"); n != 1 {
		t.Errorf("session rows after a sweeping Bind = %d, want 1", n)
	}
}
