package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/plugin/plugintest"
	"github.com/gatehouse/gatehouse/plugin/storetest"
)

// TestConformance runs the shared kit through the real gRPC adapters,
// each handle being one pairing and one session plugin instance on the
// same file, as the host runs them.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, opts storetest.Options) func() storetest.Stores {
		raw := configJSON(t, filepath.Join(t.TempDir(), "gatehouse.db"), opts)
		return func() storetest.Stores {
			return storetest.Stores{
				Pairing:  connect(t, plugin.ProtocolPairing, raw).Pairing(),
				Sessions: connect(t, plugin.ProtocolSession, raw).Sessions(),
			}
		}
	})
}

func configJSON(t *testing.T, path string, opts storetest.Options) []byte {
	t.Helper()
	raw, err := json.Marshal(map[string]any{
		"path": path, "code_ttl": opts.CodeTTL.String(), "max_pending": opts.MaxPending,
	})
	if err != nil {
		t.Fatalf("json.Marshal(config) = %v", err)
	}
	return raw
}

// connect serves the plugin in process and configures it for p.
func connect(t testing.TB, p plugin.Protocol, raw []byte) *plugin.Client {
	t.Helper()
	c := plugintest.Connect(t, serveConfig())
	if err := c.Configure(t.Context(), p, "test", raw); err != nil {
		t.Fatalf("Configure(%s, %s) = %v, want nil", p, raw, err)
	}
	return c
}

func TestInfo(t *testing.T) {
	info, err := plugintest.Connect(t, serveConfig()).Info(t.Context())
	if err != nil {
		t.Fatalf("Info() = %v, want nil", err)
	}
	want := []plugin.Protocol{plugin.ProtocolPairing, plugin.ProtocolSession}
	if info.Name != "sqlite" || len(info.Protocols) != 2 || info.Protocols[0] != want[0] || info.Protocols[1] != want[1] {
		t.Errorf("Info() = %s %v, want sqlite %v", info.Name, info.Protocols, want)
	}
	names := map[string]bool{}
	for _, a := range info.Schema.Attributes {
		names[a.Name] = true
	}
	for _, n := range []string{"path", "busy_timeout", "code_ttl", "max_pending"} {
		if !names[n] {
			t.Errorf("Info().Schema lacks attribute %q", n)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, config string
		want         string
	}{
		{"unknown field", `{"path": "x.db", "pth": "y"}`, "pth"},
		{"missing path", `{}`, "path is required"},
		{"empty body", ``, "path is required"},
		{"bad ttl", `{"path": "x.db", "code_ttl": "soon"}`, "soon"},
		{"negative ttl", `{"path": "x.db", "code_ttl": "-1s"}`, "negative"},
		{"bad busy timeout", `{"path": "x.db", "busy_timeout": true}`, "duration"},
		{"negative cap", `{"path": "x.db", "max_pending": -1}`, "max_pending"},
		{"wrong type", `{"path": 7}`, "path"},
		{"path under a file", `{"path": "` + filepath.Join(dir, "f.db", "sub", "x.db") + `"}`, "create directory"},
	}
	// A file where the last test wants a directory.
	if _, err := open(t.Context(), json.RawMessage(`{"path": "`+filepath.Join(dir, "f.db")+`"}`)); err != nil {
		t.Fatalf("open(%s) = %v, want nil", filepath.Join(dir, "f.db"), err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(dir)
			s, err := open(t.Context(), json.RawMessage(tt.config))
			if err == nil {
				s.Close()
				t.Fatalf("open(%s) = nil error, want one mentioning %q", tt.config, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("open(%s) = %v, want an error mentioning %q", tt.config, err, tt.want)
			}
			if !errors.Is(err, plugin.ErrInvalid) && !errors.Is(err, plugin.ErrUnavailable) {
				t.Errorf("open(%s) = %v, want ErrInvalid or ErrUnavailable", tt.config, err)
			}
		})
	}
}

// TestConfigureOverWire checks that a config error reaches the host as
// ErrInvalid with its message.
func TestConfigureOverWire(t *testing.T) {
	c := plugintest.Connect(t, serveConfig())
	err := c.Configure(t.Context(), plugin.ProtocolPairing, "test", []byte(`{"path": "x.db", "bogus": 1}`))
	if !errors.Is(err, plugin.ErrInvalid) || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("Configure(unknown field) = %v, want ErrInvalid naming bogus", err)
	}
}

// TestRelativePath checks that a relative path resolves against the
// working directory and that missing directories are created.
func TestRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s, err := open(t.Context(), json.RawMessage(`{"path": "data/nested/gatehouse.db"}`))
	if err != nil {
		t.Fatalf("open(relative path) = %v, want nil", err)
	}
	defer s.Close()
	want := filepath.Join(dir, "data", "nested", "gatehouse.db")
	if fi, err := os.Stat(want); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("open(data/nested/gatehouse.db) in %s: Stat(%s) = %v, %v, want a file with mode 0600", dir, want, fi, err)
	}
}
