package plugin

import (
	"os"
	"runtime/pprof"

	"github.com/hashicorp/go-hclog"
)

// EnvCPUProfile names a file that a plugin writes a CPU profile to, from
// its start until it stops gracefully. The host passes a plugin only the
// environment its block grants, so an operator turns profiling on for
// one block at a time:
//
//	env = { GATEHOUSE_CPUPROFILE = "/tmp/sqlite.prof" }
const EnvCPUProfile = "GATEHOUSE_CPUPROFILE"

// startCPUProfile starts the profile that EnvCPUProfile asks for and
// returns the function that stops it. A profile that cannot be written
// is logged and the plugin serves without it.
func startCPUProfile(log hclog.Logger) (stop func()) {
	path := os.Getenv(EnvCPUProfile)
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		log.Warn("cpu profile not written", "error", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		log.Warn("cpu profile not written", "path", path, "error", err)
		return func() {}
	}
	log.Info("cpu profile started", "path", path)
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
