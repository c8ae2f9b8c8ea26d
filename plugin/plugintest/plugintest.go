// Package plugintest connects the host-side and plugin-side adapters of
// the SDK in one process, over go-plugin's real gRPC transport, so a
// plugin's tests exercise the same wire path the host uses.
package plugintest

import (
	"testing"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/shared"
	goplugin "github.com/hashicorp/go-plugin"
)

// Connect serves cfg in process and returns a host-side client of it. The
// connection, and whatever Configure built, are closed when the test
// ends.
func Connect(t testing.TB, cfg plugin.ServeConfig) *plugin.Client {
	t.Helper()
	set, closeImpl := plugin.InProcess(cfg)
	client, _ := goplugin.TestPluginGRPCConn(t, false, set)
	t.Cleanup(func() {
		client.Close()
		if err := closeImpl(); err != nil {
			t.Errorf("close plugin: %v", err)
		}
	})
	raw, err := client.Dispense(shared.PluginName)
	if err != nil {
		t.Fatalf("dispense %s: %v", shared.PluginName, err)
	}
	return raw.(*plugin.Client)
}
