package tokens

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

var now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// mint mints a token into path or fails the test.
func mint(t *testing.T, path, user, role string) (string, Record) {
	t.Helper()
	tok, rec, err := Mint(path, user, role, now)
	if err != nil {
		t.Fatalf("Mint(%s, %s, %s): %v", path, user, role, err)
	}
	return tok, rec
}

func TestMintWritesOnlyTheHash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "tokens.jsonl")
	tok, rec := mint(t, path, "alice", "operator")

	if rec.SHA256 != Hash(tok) || rec.UserID != "alice" || rec.Role != "operator" ||
		!rec.CreatedAt.Equal(now) || rec.ID == "" {
		t.Errorf("Mint record = %+v, want hash of token, alice, operator, %v", rec, now)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("tokens file mode = %v, want 0600", perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), strings.TrimPrefix(tok, Prefix)) {
		t.Errorf("tokens file holds the token itself:\n%s", data)
	}
	if !strings.Contains(string(data), rec.SHA256) || strings.Count(string(data), "\n") != 1 {
		t.Errorf("tokens file = %q, want one line with the hash", data)
	}
}

func TestMintRefusesEmptyFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.jsonl")
	tests := []struct{ name, user, role string }{
		{"no user", "", "admin"},
		{"blank user", "  ", "admin"},
		{"no role", "bob", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Mint(path, tt.user, tt.role, now)
			if !errors.Is(err, plugin.ErrInvalid) {
				t.Errorf("Mint(%q, %q) error = %v, want ErrInvalid", tt.user, tt.role, err)
			}
		})
	}
}

func TestMintConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.jsonl")
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, _, err := Mint(path, "svc", "channel", now.Add(time.Duration(i))); err != nil {
				t.Errorf("Mint: %v", err)
			}
		})
	}
	wg.Wait()
	recs, err := Read(path)
	if err != nil {
		t.Fatalf("Read after concurrent mints: %v", err)
	}
	if len(recs) != n {
		t.Errorf("Read() has %d records, want %d", len(recs), n)
	}
}

func TestRevoke(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.jsonl")
	_, keep := mint(t, path, "alice", "admin")
	_, gone := mint(t, path, "bob", "user")

	if err := Revoke(path, gone.ID, now); err != nil {
		t.Fatalf("Revoke(%s): %v", gone.ID, err)
	}
	for _, id := range []string{gone.ID, "nosuchid"} {
		if err := Revoke(path, id, now); !errors.Is(err, plugin.ErrNotFound) {
			t.Errorf("Revoke(%s) error = %v, want ErrNotFound", id, err)
		}
	}
	recs, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].ID != keep.ID || recs[0].RevokedAt != nil ||
		recs[1].ID != gone.ID || recs[1].RevokedAt == nil {
		t.Errorf("Read() = %+v, want %s live and %s revoked", recs, keep.ID, gone.ID)
	}
}

func TestReadRejectsBrokenFiles(t *testing.T) {
	hash := strings.Repeat("a", 64)
	tests := []struct{ name, data string }{
		{"not json", "hello\n"},
		{"bad hash", `{"id":"x","sha256":"abc","user_id":"u","role":"r"}` + "\n"},
		{"no user", `{"id":"x","sha256":"` + hash + `","role":"r"}` + "\n"},
		{"duplicate id", `{"id":"x","sha256":"` + hash + `","user_id":"u","role":"r"}` + "\n" +
			`{"id":"x","sha256":"` + hash + `","user_id":"v","role":"r"}` + "\n"},
		{"revoke unknown", `{"id":"y","revoked_at":"2025-01-01T00:00:00Z"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokens.jsonl")
			if err := os.WriteFile(path, []byte(tt.data), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Read(path); !errors.Is(err, plugin.ErrInvalid) {
				t.Errorf("Read(%q) error = %v, want ErrInvalid", tt.data, err)
			}
		})
	}
}

func TestReadMissingFile(t *testing.T) {
	recs, err := Read(filepath.Join(t.TempDir(), "none.jsonl"))
	if err != nil || len(recs) != 0 {
		t.Errorf("Read(missing) = %v, %v, want no records and no error", recs, err)
	}
}
