package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
)

// BenchmarkStartup measures the time from exec to a green /readyz of
// `gatehouse serve` with token-auth and SQLite pairing and sessions (three
// plugin processes), against the time from exec to the first answer of
// the bare Go HTTP server.
func BenchmarkStartup(b *testing.B) {
	bin := testenv.BuildBinaries(b)
	dir := b.TempDir()
	blocks := fmt.Sprintf("plugin_dir = %q\n%s", testenv.PluginDir(bin),
		hostConfig(newToken(b), filepath.Join(dir, "gatehouse.db")))
	host := func(addr string) (*exec.Cmd, error) {
		path := filepath.Join(dir, "config.hcl")
		listener := fmt.Sprintf("\nlistener \"http\" {\n  address = %q\n}\n", addr)
		if err := os.WriteFile(path, []byte(blocks+listener), 0o600); err != nil {
			return nil, err
		}
		cmd := exec.Command(filepath.Join(bin, testenv.HostBinary), "serve", "--config", path)
		cmd.Dir = dir
		return cmd, nil
	}

	r := row{section: sectionStartup, name: "start-up until ready: host with 3 plugins vs bare Go HTTP server",
		clients: 1, unit: elapsed, target: medianWithin(500 * time.Millisecond)}
	r.gate = measureStarts(b, "gatehouse", host, "/readyz")
	r.base = measureStarts(b, "baseline", bareCommand, "/")
	r.note = fmt.Sprintf("%d starts each; slowest host start %s", r.gate.ops, formatDuration(r.gate.slowest))
	addRow(r)
}

// measureStarts starts a server b.N times, timing each start until path
// answers 200, and stops it outside the clock.
func measureStarts(b *testing.B, name string, command func(string) (*exec.Cmd, error), path string) measure {
	b.Helper()
	var m measure
	ok := b.Run(name, func(b *testing.B) {
		lat := make([]time.Duration, b.N)
		var total time.Duration
		b.ResetTimer()
		for i := range lat {
			b.StartTimer()
			start := time.Now()
			p, err := startServer(b.Context(), command, path)
			lat[i] = time.Since(start)
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			p.stop()
			total += lat[i]
		}
		m = summarize(lat, total)
	})
	if !ok {
		b.FailNow()
	}
	return m
}
