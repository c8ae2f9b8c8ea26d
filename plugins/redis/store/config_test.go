package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

func TestConfigRefused(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		raw  string
		want []string // every one must appear in the error
	}{
		{"no address", `{}`, []string{"addresses"}},
		{"unknown field", `{"addresses":["a:1"],"nope":1}`, []string{"nope"}},
		{"not host:port", `{"addresses":["localhost"]}`, []string{`"localhost"`}},
		{"db on cluster", `{"addresses":["a:1","b:2"],"db":2}`, []string{"Cluster"}},
		{"braces in prefix", `{"addresses":["a:1"],"key_prefix":"x{y}:"}`, []string{"braces"}},
		{"negative max_pending", `{"addresses":["a:1"],"max_pending":-1}`, []string{"max_pending"}},
		{"half a client cert", `{"addresses":["a:1"],"tls":{"cert_file":"c.pem"}}`, []string{"key_file"}},
		{"CA without PEM", `{"addresses":["a:1"],"tls":{"ca_file":"` + notPEM + `"}}`, []string{"no PEM"}},
		{"several at once", `{"addresses":["x"],"db":-1,"key_prefix":"{"}`, []string{`"x"`, "negative", "braces"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenJSON(t.Context(), []byte(tt.raw))
			if !errors.Is(err, plugin.ErrInvalid) {
				t.Fatalf("OpenJSON(%s) = %v, want ErrInvalid", tt.raw, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("OpenJSON(%s) = %q, want it to mention %q", tt.raw, err, w)
				}
			}
		})
	}
}

func TestConfigResolved(t *testing.T) {
	cfg, err := DecodeConfig([]byte(`{"addresses":["a:1","b:2"],"read_timeout":"250ms","code_ttl":"10m"}`))
	if err != nil {
		t.Fatal(err)
	}
	opts, set, err := cfg.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if !opts.IsClusterMode || opts.MaxRetries != -1 || !opts.ContextTimeoutEnabled {
		t.Errorf("options = cluster %v, retries %d, context timeouts %v; want true, -1, true",
			opts.IsClusterMode, opts.MaxRetries, opts.ContextTimeoutEnabled)
	}
	want := DefaultDialTimeout + DefaultWriteTimeout + 250*time.Millisecond
	if set.prefix != DefaultKeyPrefix || set.codeTTL != 10*time.Minute || set.callTimeout != want {
		t.Errorf("settings = %+v, want prefix %q, code TTL 10m, call timeout %v", set, DefaultKeyPrefix, want)
	}
}

// TestOpenUnreachable opens a store on a port where nothing listens.
func TestOpenUnreachable(t *testing.T) {
	cfg := Config{Addresses: []string{"127.0.0.1:1"}, DialTimeout: plugin.Duration(200 * time.Millisecond)}
	if _, err := Open(t.Context(), cfg); !errors.Is(err, plugin.ErrUnavailable) {
		t.Errorf("Open(nothing listening) = %v, want ErrUnavailable", err)
	}
}

// TestOpenWrongPassword opens a store as the ACL user with a wrong
// password.
func TestOpenWrongPassword(t *testing.T) {
	b := restricted(t)
	cfg := b.config(t)
	cfg.Password = "p4ss-nope-123"
	_, err := Open(t.Context(), cfg)
	if !errors.Is(err, plugin.ErrUnauthenticated) {
		t.Errorf("Open(wrong password) = %v, want ErrUnauthenticated", err)
	}
	if err != nil && strings.Contains(err.Error(), cfg.Password) {
		t.Errorf("Open error %q echoes the password", err)
	}
}
