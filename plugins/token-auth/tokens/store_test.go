package tokens

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/plugin"
)

// openStore opens a store of path or fails the test.
func openStore(t *testing.T, path string, inline ...Record) *Store {
	t.Helper()
	s, err := OpenStore(path, inline)
	if err != nil {
		t.Fatalf("OpenStore(%s): %v", path, err)
	}
	return s
}

// wantUser checks that tok looks up as user.
func wantUser(t *testing.T, s *Store, tok, user string) {
	t.Helper()
	rec, err := s.Lookup(tok)
	if err != nil || rec.UserID != user {
		t.Errorf("Lookup() = %+v, %v, want user %s", rec, err, user)
	}
}

// wantNotFound checks that tok does not look up.
func wantNotFound(t *testing.T, s *Store, tok string) {
	t.Helper()
	if rec, err := s.Lookup(tok); !errors.Is(err, plugin.ErrNotFound) {
		t.Errorf("Lookup() = %+v, %v, want ErrNotFound", rec, err)
	}
}

func TestStoreSeesTokensMintedWhileOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.jsonl")
	s := openStore(t, path) // the file does not exist yet
	first, _ := mint(t, path, "alice", "admin")
	wantUser(t, s, first, "alice")

	second, rec := mint(t, path, "bob", "channel")
	wantUser(t, s, second, "bob")
	wantUser(t, s, first, "alice")

	if err := Revoke(path, rec.ID, now); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, s, second)
	wantUser(t, s, first, "alice")
}

func TestStoreRejectsWrongTokens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.jsonl")
	tok, _ := mint(t, path, "alice", "admin")
	s := openStore(t, path)
	other, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	for _, wrong := range []string{other, "", tok[:len(tok)-1], tok + "x", strings.ToUpper(tok)} {
		wantNotFound(t, s, wrong)
	}
}

func TestStoreIgnoresHalfWrittenLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.jsonl")
	tok, _ := mint(t, path, "alice", "admin")
	s := openStore(t, path)

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(`{"id":"half","sha256":"`); err != nil {
		t.Fatal(err)
	}
	wantUser(t, s, tok, "alice")
}

func TestStoreFailsClosedOnBrokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.jsonl")
	tok, _ := mint(t, path, "alice", "admin")
	s := openStore(t, path)
	wantUser(t, s, tok, "alice")

	if err := os.WriteFile(path, []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(tok); err == nil {
		t.Errorf("Lookup() on a broken file succeeded, want an error")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, s, tok)
}

// TestStoreFailsClosedOnDuplicateHash appends a second record of a live
// token's hash with another id and role: which record counts would be
// ambiguous, and a revocation by the first id would not stop the token.
func TestStoreFailsClosedOnDuplicateHash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.jsonl")
	tok, rec := mint(t, path, "bot", "channel")
	s := openStore(t, path)
	wantUser(t, s, tok, "bot")

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line := `{"id":"twin","sha256":"` + rec.SHA256 + `","user_id":"bot","role":"admin"}` + "\n"
	if _, err := f.WriteString(line); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Lookup(tok); !errors.Is(err, plugin.ErrInvalid) {
		t.Errorf("Lookup() with the hash twice = %+v, %v; want ErrInvalid", r, err)
	}
}

func TestStoreInline(t *testing.T) {
	tok, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	rec := Record{ID: "svc", SHA256: Hash(tok), UserID: "adapter", Role: "channel"}
	s := openStore(t, "", rec)
	wantUser(t, s, tok, "adapter")

	if _, err := OpenStore("", []Record{rec, rec}); !errors.Is(err, plugin.ErrInvalid) {
		t.Errorf("OpenStore(duplicate inline) error = %v, want ErrInvalid", err)
	}
	bad := rec
	bad.SHA256 = "nothex"
	if _, err := OpenStore("", []Record{bad}); !errors.Is(err, plugin.ErrInvalid) {
		t.Errorf("OpenStore(bad hash) error = %v, want ErrInvalid", err)
	}
}
