package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/host/supervisor"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/plugins/token-auth/tokens"
	"github.com/hashicorp/go-hclog"
)

// maxPending lets the write benchmarks open many requests per type.
const maxPending = 1_000_000

// operatorToken is a token-auth token of role operator, minted for the
// run, with its hash for the config.
type operatorToken struct {
	token, hash string
}

func newToken(b *testing.B) operatorToken {
	b.Helper()
	t, err := tokens.Generate()
	if err != nil {
		b.Fatal(err)
	}
	return operatorToken{token: t, hash: tokens.Hash(t)}
}

// header is the Authorization value of the token.
func (t operatorToken) header() string { return "Bearer " + t.token }

// tokenAuthBlock declares token-auth with t inline, so no file is read
// per request.
func tokenAuthBlock(t operatorToken) string {
	return fmt.Sprintf(`
auth "tokens" {
  plugin = "token-auth"%[2]s
  config {
    token {
      id      = "bench"
      sha256  = %[1]q
      user_id = "bench"
      role    = "operator"
    }
  }
}
`, t.hash, profileEnv("token-auth"))
}

// sqliteBlocks declares SQLite pairing and sessions on one file.
func sqliteBlocks(path string) string {
	return fmt.Sprintf(`
pairing "sqlite" {
  plugin = "sqlite"%[3]s
  config {
    path        = %[1]q
    max_pending = %[2]d
  }
}

session "sqlite" {
  plugin = "sqlite"%[4]s
  config {
    path = %[1]q
  }
}
`, path, maxPending, profileEnv("sqlite-pairing"), profileEnv("sqlite-session"))
}

// redisBlocks declares Redis pairing and sessions on one server.
func redisBlocks(addr string) string {
	return fmt.Sprintf(`
pairing "redis" {
  plugin = "redis"%[3]s
  config {
    addresses   = [%[1]q]
    max_pending = %[2]d
  }
}

session "redis" {
  plugin = "redis"%[4]s
  config {
    addresses = [%[1]q]
  }
}
`, addr, maxPending, profileEnv("redis-pairing"), profileEnv("redis-session"))
}

// profiles numbers the plugin profiles of the run.
var profiles atomic.Int64

// profileEnv is the env attribute that makes a plugin write a CPU
// profile into -plugin-profiles, or nothing without the flag.
func profileEnv(name string) string {
	if *pluginProfiles == "" {
		return ""
	}
	path := filepath.Join(*pluginProfiles, fmt.Sprintf("%s-%d.prof", name, profiles.Add(1)))
	return fmt.Sprintf("\n  env    = { %s = %q }", plugin.EnvCPUProfile, path)
}

// parseConfig parses blocks, with the plugin directory of the built
// binaries, as the host parses its config file.
func parseConfig(b *testing.B, blocks ...string) *config.Config {
	b.Helper()
	dir := testenv.PluginDir(testenv.BuildBinaries(b))
	src := fmt.Sprintf("plugin_dir = %q\n%s", dir, strings.Join(blocks, "\n"))
	cfg, diags := config.Parse([]byte(src), "bench.hcl")
	if diags.HasErrors() {
		b.Fatalf("bench config: %s\n%s", diags.Error(), src)
	}
	return cfg
}

// startSet starts every plugin of the config with host/supervisor, as
// `gatehouse serve` does, and stops them when b ends.
func startSet(b *testing.B, blocks ...string) *supervisor.Set {
	b.Helper()
	cfg := parseConfig(b, blocks...)
	set, err := supervisor.StartSet(b.Context(), cfg, supervisorOptions())
	if err != nil {
		b.Fatalf("start plugins: %v", err)
	}
	b.Cleanup(func() { stopSet(set) })
	return set
}

// startPlugin starts the plugin of one block with host/supervisor.
func startPlugin(b *testing.B, blk *config.PluginBlock, dir string) *supervisor.Plugin {
	b.Helper()
	p, err := supervisor.Start(b.Context(), dir, blk, supervisorOptions())
	if err != nil {
		b.Fatalf("start %s: %v", blk.Key(), err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(b.Context()), 20*time.Second)
		defer cancel()
		p.Stop(ctx)
	})
	return p
}

func stopSet(set *supervisor.Set) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := set.Stop(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "stop plugins:", err)
	}
}

// supervisorOptions logs warnings and errors of the plugins only.
func supervisorOptions() supervisor.Options {
	return supervisor.Options{Logger: hclog.New(&hclog.LoggerOptions{
		Name: "bench", Level: hclog.Warn, Output: os.Stderr,
	})}
}
