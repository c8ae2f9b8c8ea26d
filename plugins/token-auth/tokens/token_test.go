package tokens

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

func TestGenerate(t *testing.T) {
	a, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("Generate() returned %q twice", a)
	}
	for _, tok := range []string{a, b} {
		if !WellFormed(tok) || len(tok) != len(Prefix)+43 {
			t.Errorf("Generate() = %q, want ght_ and 43 base64url characters", tok)
		}
	}
}

func TestWellFormed(t *testing.T) {
	good, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		token string
		want  bool
	}{
		{"generated", good, true},
		{"empty", "", false},
		{"prefix only", Prefix, false},
		{"no prefix", strings.TrimPrefix(good, Prefix), false},
		{"other prefix", "ghp_" + strings.TrimPrefix(good, Prefix), false},
		{"one short", good[:len(good)-1], false},
		{"one long", good + "A", false},
		{"standard base64", good[:len(good)-1] + "+", false},
		{"padding", good[:len(good)-1] + "=", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WellFormed(tt.token); got != tt.want {
				t.Errorf("WellFormed(%q) = %v, want %v", tt.token, got, tt.want)
			}
		})
	}
}

func TestHash(t *testing.T) {
	// SHA-256 of "abc", a published test vector.
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := Hash("abc"); got != want {
		t.Errorf("Hash(abc) = %s, want %s", got, want)
	}
}

func TestMintRefusesUnprintableIdentity(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.jsonl")
	tests := []struct{ user, role string }{
		{"alice\nadmin", "operator"},
		{"alice", "oper\tator"},
		{"bob\x1b[31m", "user"},
		{strings.Repeat("u", plugin.MaxIDBytes+1), "user"},
	}
	for _, tt := range tests {
		if _, _, err := Mint(path, tt.user, tt.role, time.Now()); !errors.Is(err, plugin.ErrInvalid) {
			t.Errorf("Mint(%q, %q) error = %v, want ErrInvalid", tt.user, tt.role, err)
		}
	}
	if recs, err := Read(path); err != nil || len(recs) != 0 {
		t.Errorf("Read after refused mints = %d records, %v, want none", len(recs), err)
	}
}
