package plugin

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"
)

// CodeAlphabet is the set of characters in a pairing code: no 0/O, no 1/I.
const CodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// CodeLength is the number of characters in a pairing code.
const CodeLength = 8

// Defaults for pairing stores; every store uses these when its config is
// silent.
const (
	DefaultCodeTTL    = time.Hour
	DefaultMaxPending = 3
	DefaultPageLimit  = 500
	MaxPageLimit      = 5000
)

// NewCode draws a pairing code from a cryptographic source. The alphabet
// has 32 characters, so five bits of a byte pick one without bias.
func NewCode() (string, error) {
	var buf [CodeLength]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return "", fmt.Errorf("draw code: %w", err)
	}
	for i, b := range buf {
		buf[i] = CodeAlphabet[b&31]
	}
	return string(buf[:]), nil
}

// NormalizeCode turns what a person typed into a canonical code: upper
// case, without spaces and hyphens. It fails with ErrInvalid when the
// result is not a well-formed code.
func NormalizeCode(s string) (string, error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		if !strings.ContainsRune(CodeAlphabet, r) || b.Len() >= CodeLength {
			return "", fmt.Errorf("pairing code is not %d characters of %s: %w",
				CodeLength, CodeAlphabet, ErrInvalid)
		}
		b.WriteRune(r)
	}
	if b.Len() != CodeLength {
		return "", fmt.Errorf("pairing code is not %d characters of %s: %w",
			CodeLength, CodeAlphabet, ErrInvalid)
	}
	return b.String(), nil
}

// CodesEqual compares two normalised codes in constant time.
func CodesEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// ClampLimit returns the page limit a store should use for p.
func ClampLimit(p Page) int {
	switch {
	case p.Limit <= 0:
		return DefaultPageLimit
	case p.Limit > MaxPageLimit:
		return MaxPageLimit
	}
	return p.Limit
}
