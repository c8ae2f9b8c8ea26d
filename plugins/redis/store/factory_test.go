package store

import (
	"encoding/json"
	"testing"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/plugin/plugintest"
	"github.com/gatehouse/gatehouse/plugin/storetest"
)

// directFactory opens stores on b in process: each handle is its own
// Store with its own connection pool, as another host would have.
func directFactory(b backend) storetest.Factory {
	return func(t *testing.T, opts storetest.Options) func() storetest.Stores {
		cfg := kitConfig(t, b, opts)
		return func() storetest.Stores {
			s := open(t, cfg)
			return storetest.Stores{Pairing: s, Sessions: s}
		}
	}
}

// wireFactory opens stores on b through the SDK's gRPC adapters: each
// handle is a pair of plugin instances, one configured for pairing and
// one for sessions, as the host runs them.
func wireFactory(b backend) storetest.Factory {
	return func(t *testing.T, opts storetest.Options) func() storetest.Stores {
		raw, err := json.Marshal(kitConfig(t, b, opts))
		if err != nil {
			t.Fatal(err)
		}
		return func() storetest.Stores {
			return storetest.Stores{
				Pairing:  connect(t, plugin.ProtocolPairing, raw).Pairing(),
				Sessions: connect(t, plugin.ProtocolSession, raw).Sessions(),
			}
		}
	}
}

// connect serves the plugin in process and configures it for p.
func connect(t testing.TB, p plugin.Protocol, raw []byte) *plugin.Client {
	t.Helper()
	c := plugintest.Connect(t, ServeConfig())
	if err := c.Configure(t.Context(), p, "test", raw); err != nil {
		t.Fatalf("Configure(%s) = %v", p, err)
	}
	return c
}

func kitConfig(t *testing.T, b backend, opts storetest.Options) Config {
	cfg := b.config(t)
	cfg.CodeTTL = plugin.Duration(opts.CodeTTL)
	cfg.MaxPending = opts.MaxPending
	return cfg
}
