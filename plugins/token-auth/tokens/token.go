// Package tokens keeps Gatehouse bearer tokens. A token is "ght_" and the
// base64url form of 32 random bytes; only its SHA-256 is ever stored, in
// a JSON-lines file that Mint and Revoke append to and Store reads. The
// token-auth plugin checks requests against a Store; the host's command
// line mints tokens with Mint.
package tokens

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"

	"github.com/gatehouse/gatehouse/plugin"
)

// Prefix starts every token, so that a leaked one is easy to recognise
// and other bearer schemes are easy to tell apart.
const Prefix = "ght_"

// tokenBytes is the number of random bytes in a token.
const tokenBytes = 32

// encoding encodes the random part of a token.
var encoding = base64.RawURLEncoding

// Generate draws a new token from a cryptographic source.
func Generate() (string, error) {
	var buf [tokenBytes]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return "", fmt.Errorf("draw token: %w", err)
	}
	return Prefix + encoding.EncodeToString(buf[:]), nil
}

// WellFormed reports whether token has the shape of a Gatehouse token.
func WellFormed(token string) bool {
	rest, ok := strings.CutPrefix(token, Prefix)
	if !ok || len(rest) != encoding.EncodedLen(tokenBytes) {
		return false
	}
	b, err := encoding.DecodeString(rest)
	return err == nil && len(b) == tokenBytes
}

// Hash returns the lower-case hex SHA-256 of token, the only form of it
// that is stored.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// hashesEqual compares two hex digests in constant time.
func hashesEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// validHash reports whether s is a lower-case hex SHA-256.
func validHash(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// newID draws a short random record id.
func newID() (string, error) {
	var buf [6]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return "", fmt.Errorf("draw id: %w", err)
	}
	return hex.EncodeToString(buf[:]), nil
}

// checkRecord checks the fields every stored record needs.
func checkRecord(r Record) error {
	switch {
	case r.ID == "":
		return fmt.Errorf("token record without id: %w", plugin.ErrInvalid)
	case !validHash(r.SHA256):
		return fmt.Errorf("token %s: sha256 is not 64 lower-case hex digits: %w", r.ID, plugin.ErrInvalid)
	case strings.TrimSpace(r.UserID) == "":
		return fmt.Errorf("token %s: empty user_id: %w", r.ID, plugin.ErrInvalid)
	case strings.TrimSpace(r.Role) == "":
		return fmt.Errorf("token %s: empty role: %w", r.ID, plugin.ErrInvalid)
	}
	if err := plugin.CheckFields(plugin.ID("user_id", r.UserID), plugin.ID("role", r.Role)); err != nil {
		return fmt.Errorf("token %s: %w", r.ID, err)
	}
	for name, v := range map[string]string{"user_id": r.UserID, "role": r.Role} {
		if strings.IndexFunc(v, func(c rune) bool { return !unicode.IsPrint(c) }) >= 0 {
			return fmt.Errorf("token %s: %s holds unprintable characters: %w", r.ID, name, plugin.ErrInvalid)
		}
	}
	return nil
}
