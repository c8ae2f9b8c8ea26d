package tokens

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

// Store answers which record a presented token belongs to. It holds the
// inline records it was opened with and the records of a tokens file,
// which it reads again whenever the file changes, so a token minted while
// the host serves works at once. It is safe for concurrent use.
type Store struct {
	path   string
	inline map[string]Record // by hash; fixed after OpenStore

	mu     sync.Mutex // guards the fields below
	stamp  stamp
	byHash map[string]Record
}

// stamp identifies one version of the tokens file.
type stamp struct {
	info    os.FileInfo
	size    int64
	modTime time.Time
}

// changed reports whether fi is another version of the file than s.
func (s stamp) changed(fi os.FileInfo) bool {
	if s.info == nil || fi == nil {
		return s.info != fi
	}
	return !os.SameFile(s.info, fi) || s.size != fi.Size() || !s.modTime.Equal(fi.ModTime())
}

// OpenStore returns a store of the tokens file at path (none when path is
// empty; a missing file holds no tokens yet) and the inline records.
func OpenStore(path string, inline []Record) (*Store, error) {
	s := &Store{path: path, inline: map[string]Record{}}
	for _, r := range inline {
		if err := checkRecord(r); err != nil {
			return nil, fmt.Errorf("inline token: %w", err)
		}
		if _, dup := s.inline[r.SHA256]; dup {
			return nil, fmt.Errorf("inline token %s: hash appears twice: %w", r.ID, plugin.ErrInvalid)
		}
		s.inline[r.SHA256] = r
	}
	if _, err := s.current(); err != nil {
		return nil, err
	}
	return s, nil
}

// Lookup returns the live record of token. A token that is unknown or
// revoked fails with plugin.ErrNotFound; an unreadable tokens file fails
// with another error, and no token is accepted until it is readable.
func (s *Store) Lookup(token string) (Record, error) {
	h := Hash(token)
	byHash, err := s.current()
	if err != nil {
		return Record{}, err
	}
	r, ok := s.inline[h]
	if !ok {
		r, ok = byHash[h]
	}
	if !ok || !hashesEqual(r.SHA256, h) {
		return Record{}, fmt.Errorf("unknown token: %w", plugin.ErrNotFound)
	}
	if r.RevokedAt != nil {
		return Record{}, fmt.Errorf("token %s revoked: %w", r.ID, plugin.ErrNotFound)
	}
	return r, nil
}

// current returns the file's records by hash, reading the file again
// when it changed since the last read.
func (s *Store) current() (map[string]Record, error) {
	if s.path == "" {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	fi, err := os.Stat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		s.stamp, s.byHash = stamp{}, nil
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("stat tokens: %w", err)
	}
	if !s.stamp.changed(fi) && s.byHash != nil {
		return s.byHash, nil
	}
	return s.reload(fi)
}

// reload reads the file whose version is fi. On failure the old records
// are dropped: a revocation the store cannot read must not be missed.
func (s *Store) reload(fi os.FileInfo) (map[string]Record, error) {
	s.stamp, s.byHash = stamp{}, nil
	recs, err := Read(s.path)
	if err != nil {
		return nil, err
	}
	byHash := make(map[string]Record, len(recs))
	for _, r := range recs {
		if _, dup := byHash[r.SHA256]; dup {
			return nil, fmt.Errorf("tokens file: token %s: hash appears twice: %w", r.ID, plugin.ErrInvalid)
		}
		byHash[r.SHA256] = r
	}
	s.stamp = stamp{info: fi, size: fi.Size(), modTime: fi.ModTime()}
	s.byHash = byHash
	return byHash, nil
}
