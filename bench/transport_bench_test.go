package bench

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/gatehouse/gatehouse/host/supervisor"
	"github.com/gatehouse/gatehouse/plugin"
)

// BenchmarkTransport compares a plugin call with the transport's floor:
// a bare gRPC health check of the same plugin process, answered by
// go-plugin's health server without any Gatehouse code. The call is
// token-auth's Check of a valid token, whose own work is a SHA-256 and a
// map lookup, through host/supervisor as the host makes it.
func BenchmarkTransport(b *testing.B) {
	tok := newToken(b)
	cfg := parseConfig(b, tokenAuthBlock(tok), sqliteBlocks(filepath.Join(b.TempDir(), "t.db")))
	p := startPlugin(b, cfg.Auth[0], cfg.PluginDir)
	req := checkRequest(tok.header())

	b.Run("check", func(b *testing.B) {
		for _, c := range []int{1, 16} {
			pair(b, row{section: sectionTransport, name: "plugin call vs gRPC health check of the same plugin",
				clients: c, target: ratioAtMost(1.3)}, checkWork(p.Auth(), req), healthWork(p))
		}
	})
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
func healthWork(p *supervisor.Plugin) workload {
	return workload{op: func(ctx context.Context, _ int) error { return p.Health(ctx) }}
}
