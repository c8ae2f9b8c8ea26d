package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/shared"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/health/grpc_health_v1"
)

// healthService is the service go-plugin registers in every plugin.
const healthService = "plugin"

// BenchmarkTransport compares a plugin call with the transport's floor:
// a bare gRPC health check, answered by go-plugin's health server in the
// plugin process without any Gatehouse code. The call is token-auth's
// Check of a valid token, whose own work is a SHA-256 and a map lookup.
func BenchmarkTransport(b *testing.B) {
	tok := newToken(b)
	set := startSet(b, tokenAuthBlock(tok), sqliteBlocks(filepath.Join(b.TempDir(), "t.db")))
	hosted := set.AuthChain()[0]
	own := dialPlugin(b, "token-auth", plugin.ProtocolAuth, tokenAuthJSON(tok))
	req := checkRequest(tok.header())

	for _, c := range []int{1, 16} {
		b.Run("supervisor", func(b *testing.B) {
			pair(b, row{section: sectionTransport, name: "plugin call via host/supervisor vs gRPC health check", clients: c,
				target: ratioAtMost(1.3)}, checkWork(hosted, req), healthWork(own))
		})
		b.Run("sdk", func(b *testing.B) {
			pair(b, row{section: sectionTransport, name: "plugin call via SDK client vs gRPC health check, one connection",
				clients: c}, checkWork(own.Auth(), req), healthWork(own))
		})
	}
}

// checkRequest is a request carrying the Authorization value v.
func checkRequest(v string) *plugin.CheckRequest {
	return &plugin.CheckRequest{
		Method: http.MethodGet, Path: "/v1/whoami", Host: "127.0.0.1",
		Header:     http.Header{"Authorization": {v}, "User-Agent": {"gatehouse-bench"}},
		RemoteAddr: "127.0.0.1:40000",
	}
}

// checkWork checks req once per operation and expects a success.
func checkWork(a plugin.Auth, req *plugin.CheckRequest) workload {
	return workload{op: func(ctx context.Context, _ int) error {
		res, err := a.Check(ctx, req)
		if err == nil && res.Outcome != plugin.OutcomeSuccess {
			err = fmt.Errorf("Check = outcome %d (%s)", res.Outcome, res.Reason)
		}
		return err
	}}
}

// healthWork asks the plugin's health service once per operation.
func healthWork(c *plugin.Client) workload {
	h := grpc_health_v1.NewHealthClient(c.Conn())
	return workload{op: func(ctx context.Context, _ int) error {
		r, err := h.Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: healthService})
		if err == nil && r.GetStatus() != grpc_health_v1.HealthCheckResponse_SERVING {
			err = fmt.Errorf("health status %v", r.GetStatus())
		}
		return err
	}}
}

// tokenAuthJSON is the JSON form of tokenAuthBlock.
func tokenAuthJSON(t operatorToken) []byte {
	raw, _ := json.Marshal(map[string]any{"token": []map[string]string{{
		"id": "bench", "sha256": t.hash, "user_id": "bench", "role": "operator",
	}}})
	return raw
}

// dialPlugin launches a plugin binary with go-plugin as the supervisor
// does (gRPC, automatic mutual TLS) and configures it, to reach the
// connection that the supervisor keeps to itself.
func dialPlugin(b *testing.B, name string, p plugin.Protocol, configJSON []byte) *plugin.Client {
	b.Helper()
	bin := filepath.Join(testenv.PluginDir(testenv.BuildBinaries(b)), "gatehouse-plugin-"+name)
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  shared.Handshake,
		VersionedPlugins: plugin.HostPlugins(),
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		Cmd:              exec.Command(bin),
		Logger:           hclog.NewNullLogger(),
	})
	b.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		b.Fatalf("launch %s: %v", name, err)
	}
	raw, err := rpc.Dispense(shared.PluginName)
	if err != nil {
		b.Fatalf("dispense %s: %v", name, err)
	}
	c := raw.(*plugin.Client)
	if err := c.Configure(b.Context(), p, "bench", configJSON); err != nil {
		b.Fatalf("configure %s: %v", name, err)
	}
	return c
}
