package bench

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Flags of the suite, after the test binary's own (-test.bench and so
// on).
var (
	quick = flag.Bool("quick", false,
		"a short run: 200ms per measurement and 100,000 pairings in the large store")
	pairings = flag.Int("pairings", 0,
		"pairings in the large store (default 1,000,000, or 100,000 with -quick)")
	levels = flag.String("clients", "1,16,64",
		"comma-separated client counts of the HTTP measurements")
	tableOut = flag.String("table", "",
		"also write the report to this file")
	pluginProfiles = flag.String("plugin-profiles", "",
		"directory where every plugin process writes a CPU profile (see plugin.EnvCPUProfile)")
)

// TestMain runs the benchmarks and then prints the table. The benchmark
// harness's own lines go to stderr as progress, the table to stdout.
// Started with bareEnv set, the binary is instead the bare HTTP server
// of the baselines.
func TestMain(m *testing.M) {
	if addr := os.Getenv(bareEnv); addr != "" {
		os.Exit(serveBare(addr))
	}
	flag.Parse()
	if *quick && !flagSet("test.benchtime") {
		flag.Set("test.benchtime", "200ms")
	}

	stdout := os.Stdout
	os.Stdout = os.Stderr
	code := m.Run()
	os.Stdout = stdout

	if !measured() {
		os.Exit(code)
	}
	printReport(stdout)
	if *tableOut != "" {
		if err := writeReport(*tableOut); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

func writeReport(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	printReport(f)
	return f.Close()
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// largeStore returns how many pairings the large store holds.
func largeStore() int {
	switch {
	case *pairings > 0:
		return *pairings
	case *quick:
		return 100_000
	}
	return 1_000_000
}

// clientLevels parses -clients.
func clientLevels(b *testing.B) []int {
	var out []int
	for f := range strings.SplitSeq(*levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("-clients: %q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out
}
