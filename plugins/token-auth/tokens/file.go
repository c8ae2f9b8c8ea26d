package tokens

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

// Record is one stored token: never the token itself, only its hash.
type Record struct {
	ID        string    `json:"id"`
	SHA256    string    `json:"sha256"`
	UserID    string    `json:"user_id"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	// RevokedAt is set once the token is revoked.
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// line is one line of a tokens file: a new record, or the revocation of
// an earlier one (ID and RevokedAt only).
type line = Record

// Mint draws a new token for userID with role, appends its record to the
// tokens file at path (created 0600, with its directory, when missing)
// and returns the token. The token is not stored anywhere: the caller
// shows it once. Mint prints nothing.
func Mint(path, userID, role string, now time.Time) (token string, rec Record, err error) {
	token, err = Generate()
	if err != nil {
		return "", Record{}, err
	}
	id, err := newID()
	if err != nil {
		return "", Record{}, err
	}
	rec = Record{ID: id, SHA256: Hash(token), UserID: userID, Role: role, CreatedAt: now.UTC()}
	if err := checkRecord(rec); err != nil {
		return "", Record{}, fmt.Errorf("mint token: %w", err)
	}

	err = withLockedFile(path, func(f *os.File) error { return appendLine(f, rec) })
	if err != nil {
		return "", Record{}, fmt.Errorf("mint token: %w", err)
	}
	return token, rec, nil
}

// Revoke marks the token with id as revoked by appending a revocation to
// the tokens file. An id that is unknown or already revoked fails with
// plugin.ErrNotFound.
func Revoke(path, id string, now time.Time) error {
	err := withLockedFile(path, func(f *os.File) error {
		recs, err := parse(f)
		if err != nil {
			return err
		}
		if !hasLive(recs, id) {
			return fmt.Errorf("token %s: %w", id, plugin.ErrNotFound)
		}
		at := now.UTC()
		return appendLine(f, line{ID: id, RevokedAt: &at})
	})
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// Read returns the records of the tokens file at path, revoked ones
// included, in the order they were minted. A missing file holds none.
func Read(path string) ([]Record, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read tokens: %w", err)
	}
	defer f.Close()
	return parse(f)
}

// hasLive reports whether recs holds an unrevoked record with id.
func hasLive(recs []Record, id string) bool {
	for _, r := range recs {
		if r.ID == id && r.RevokedAt == nil {
			return true
		}
	}
	return false
}

// withLockedFile opens the tokens file for reading and appending, holds
// an exclusive lock on it while fn runs, and closes it.
func withLockedFile(path string, fn func(*os.File) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create tokens dir: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open tokens: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock tokens: %w", err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return fn(f)
}

// appendLine writes l as one JSON line in a single write, so readers
// never see half of it as a complete line.
func appendLine(f *os.File, l line) error {
	b, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("encode token record: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("append token record: %w", err)
	}
	return f.Sync()
}

// parse reads a tokens file: records, then revocations applied to them.
// A last line without its newline is a write in progress and is skipped.
func parse(f *os.File) ([]Record, error) {
	data, err := readAll(f)
	if err != nil {
		return nil, err
	}
	var recs []Record
	index := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("tokens file line %d: %w", n, plugin.ErrInvalid)
		}
		if err := apply(&recs, index, l); err != nil {
			return nil, fmt.Errorf("tokens file line %d: %w", n, err)
		}
	}
	return recs, sc.Err()
}

// readAll reads f from its start up to its last newline.
func readAll(f *os.File) ([]byte, error) {
	if _, err := f.Seek(0, 0); err != nil {
		return nil, fmt.Errorf("read tokens: %w", err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, fmt.Errorf("read tokens: %w", err)
	}
	data := buf.Bytes()
	return data[:bytes.LastIndexByte(data, '\n')+1], nil
}

// apply adds one line to recs: a record, or a revocation of one.
func apply(recs *[]Record, index map[string]int, l line) error {
	if l.SHA256 == "" && l.RevokedAt != nil {
		i, ok := index[l.ID]
		if !ok {
			return fmt.Errorf("revocation of unknown token %s: %w", l.ID, plugin.ErrInvalid)
		}
		(*recs)[i].RevokedAt = l.RevokedAt
		return nil
	}
	if err := checkRecord(l); err != nil {
		return err
	}
	if _, dup := index[l.ID]; dup {
		return fmt.Errorf("token id %s appears twice: %w", l.ID, plugin.ErrInvalid)
	}
	index[l.ID] = len(*recs)
	*recs = append(*recs, l)
	return nil
}
