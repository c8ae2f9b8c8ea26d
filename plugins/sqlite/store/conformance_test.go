package store

import (
	"path/filepath"
	"testing"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/plugin/storetest"
)

// TestConformance runs the shared kit against stores on a real file.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, opts storetest.Options) func() storetest.Stores {
		path := filepath.Join(t.TempDir(), "gatehouse.db")
		cfg := Config{Path: path, PairingConfig: pairingConfig(opts)}
		return func() storetest.Stores {
			s := openStore(t, cfg)
			return storetest.Stores{Pairing: s, Sessions: s}
		}
	})
}

func pairingConfig(opts storetest.Options) plugin.PairingConfig {
	return plugin.PairingConfig{CodeTTL: plugin.Duration(opts.CodeTTL), MaxPending: opts.MaxPending}
}

// openStore opens cfg and closes the store when the test ends.
func openStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open(%s) = %v, want nil", cfg.Path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
