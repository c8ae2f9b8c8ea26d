package store

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/plugin/plugintest"
	"github.com/redis/go-redis/v9"
)

// tlsOnly starts a redis-server that speaks TLS only, demanding a client
// certificate when clientAuth is set, and returns a backend whose store
// configs trust its CA and nothing else.
func tlsOnly(t *testing.T, clientAuth bool) (backend, *testenv.Redis) {
	r := testenv.StartRedis(t, testenv.RedisOptions{TLS: true, ClientAuth: clientAuth})
	admin := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs: []string{r.Addr}, TLSConfig: r.ClientTLS(), DisableIdentity: true,
	})
	t.Cleanup(func() { admin.Close() })
	b := backend{name: "tls", addrs: []string{r.Addr}, admin: admin, tls: &TLS{CAFile: r.CA.CertFile}}
	return b, r
}

// TestConformanceTLS runs the kit against a TLS-only redis-server whose
// certificate the store trusts through the test CA, after checking that
// the server really refuses plain TCP.
func TestConformanceTLS(t *testing.T) {
	b, _ := tlsOnly(t, false)
	plain := b.config(t)
	plain.TLS = nil
	if _, err := Open(t.Context(), plain); !errors.Is(err, plugin.ErrUnavailable) {
		t.Fatalf("Open(no tls block) on a TLS-only server = %v, want ErrUnavailable", err)
	}
	conformance(t, b)
}

// TestTLSVerification opens stores on a server that demands a client
// certificate, with every way the handshake can go wrong on either side.
func TestTLSVerification(t *testing.T) {
	b, r := tlsOnly(t, true)
	ca := r.CA.CertFile
	cert, key := r.CA.Issue(t)
	other := testenv.NewCA(t)
	otherCert, otherKey := other.Issue(t)

	mutual := TLS{CAFile: ca, CertFile: cert, KeyFile: key}
	with := func(edit func(*TLS)) TLS {
		c := mutual
		edit(&c)
		return c
	}
	untrusted := []string{"server certificate", "unknown authority"}

	tests := []struct {
		name string
		tls  TLS
		want error    // nil: Open succeeds and the store answers
		why  []string // each must appear in Open's error
	}{
		{"client certificate", mutual, nil, nil},
		{"server name localhost", with(func(c *TLS) { c.ServerName = "localhost" }), nil, nil},
		{"no client certificate", TLS{CAFile: ca},
			plugin.ErrUnauthenticated, []string{"client certificate", "certificate required"}},
		{"client certificate of another CA", with(func(c *TLS) {
			c.CertFile, c.KeyFile = otherCert, otherKey
		}), plugin.ErrUnauthenticated, []string{"client certificate"}},
		{"server of an untrusted CA", with(func(c *TLS) { c.CAFile = other.CertFile }),
			plugin.ErrUnavailable, untrusted},
		{"system roots only", with(func(c *TLS) { c.CAFile = "" }),
			plugin.ErrUnavailable, untrusted},
		{"wrong server name", with(func(c *TLS) { c.ServerName = "redis.other.example" }),
			plugin.ErrUnavailable, []string{"server certificate", "redis.other.example"}},
		{"skip verify, untrusted CA", with(func(c *TLS) {
			c.CAFile, c.InsecureSkipVerify = other.CertFile, true
		}), nil, nil},
		{"skip verify, wrong name", with(func(c *TLS) {
			c.ServerName, c.InsecureSkipVerify = "redis.other.example", true
		}), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := b.config(t)
			cfg.TLS = &tt.tls
			s, err := Open(t.Context(), cfg)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Open(%+v) = %v, want a store", tt.tls, err)
				}
				defer s.Close()
				roundTrip(t, s)
				return
			}
			if err == nil {
				s.Close()
				t.Fatalf("Open(%+v) succeeded, want %v", tt.tls, tt.want)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Open(%+v) = %v, want %v", tt.tls, err, tt.want)
			}
			for _, w := range tt.why {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Open(%+v) = %q, want it to mention %q", tt.tls, err, w)
				}
			}
		})
	}
}

// roundTrip binds a session and reads it back through s.
func roundTrip(t *testing.T, s plugin.Sessions) {
	t.Helper()
	want := plugin.Principal{UserID: "alice"}
	if err := s.Bind(t.Context(), "tls-session", want, time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("Bind = %v", err)
	}
	got, _, err := s.Lookup(t.Context(), "tls-session")
	if err != nil || got.UserID != want.UserID {
		t.Fatalf("Lookup = %+v, %v; want user %q", got, err, want.UserID)
	}
}

// TestTLSOverWire configures the plugin over gRPC with a session block
// written in HCL and decoded by the host, with mutual TLS; without the
// client certificate the plugin refuses the block.
func TestTLSOverWire(t *testing.T) {
	b, r := tlsOnly(t, true)
	cert, key := r.CA.Issue(t)
	prefix := aclPrefix + "wire:"
	block := func(clientCert string) string {
		return fmt.Sprintf(`
    addresses  = [%q]
    key_prefix = %q
    tls {
      ca_file     = %q
      server_name = "localhost"
      %s
    }`, r.Addr, prefix, r.CA.CertFile, clientCert)
	}

	raw := hostJSON(t, block(fmt.Sprintf("cert_file = %q\n      key_file = %q", cert, key)))
	roundTrip(t, connect(t, plugin.ProtocolSession, raw).Sessions())
	b.assertPrefixed(t, prefix)

	raw = hostJSON(t, block(""))
	c := plugintest.Connect(t, ServeConfig())
	err := c.Configure(t.Context(), plugin.ProtocolSession, "test", raw)
	named := err != nil && strings.Contains(err.Error(), "client certificate")
	if !errors.Is(err, plugin.ErrUnauthenticated) || !named {
		t.Errorf("Configure(no client certificate) = %v, want ErrUnauthenticated naming it", err)
	}
}

// hostJSON decodes body as the config block of a session block, as the
// host does, and returns the JSON the plugin receives.
func hostJSON(t *testing.T, body string) []byte {
	t.Helper()
	src := `auth "a" {
  plugin = "token-auth"
}
pairing "p" {
  plugin = "sqlite"
}
session "s" {
  plugin = "redis"
  config {` + body + `
  }
}
`
	cfg, diags := config.Parse([]byte(src), "test.hcl")
	if !diags.HasErrors() {
		var raw []byte
		raw, diags = config.DecodeConfig(cfg.Session, Schema)
		if !diags.HasErrors() {
			return raw
		}
	}
	var buf strings.Builder
	cfg.WriteDiagnostics(&buf, diags)
	t.Fatalf("config:\n%s", buf.String())
	return nil
}
