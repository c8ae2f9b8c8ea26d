package bench

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// unit says how a row reads its two sides.
type unit int

const (
	// perOp rows show wall time per operation; with one client that is
	// the mean latency, with many it is the inverse of the throughput.
	perOp unit = iota
	// throughput rows show requests per second.
	throughput
	// elapsed rows show the time of one whole operation, such as a
	// start-up or a listing.
	elapsed
)

// measure is what one side of a pair measured in its final round.
type measure struct {
	ops      int
	wall     time.Duration
	p50, p99 time.Duration
	slowest  time.Duration
}

// perOp returns the wall time per operation.
func (m measure) perOp() time.Duration {
	return m.wall / time.Duration(max(m.ops, 1))
}

// section orders the rows of the table, whatever order the benchmarks
// run in.
type section int

// The sections of the table, in print order.
const (
	sectionTransport section = iota
	sectionStores
	sectionLDAP
	sectionHTTP
	sectionScale
	sectionStartup
)

// row is one line of the table: a measurement through Gatehouse and its
// baseline, taken one after the other in the same run.
type row struct {
	section    section
	name       string
	clients    int
	unit       unit
	gate, base measure
	// note holds further figures of the row, such as peak memory.
	note string
	// target is nil when the row has none.
	target *target
	// hostRSS is the host's peak resident memory, for the memory target.
	hostRSS int64
}

// ratio is what Gatehouse costs per operation, in baselines: above 1 it
// is slower.
func (r row) ratio() float64 {
	return float64(r.gate.perOp()) / float64(max(r.base.perOp(), 1))
}

// target is one goal of issue 7, checked against a row.
type target struct {
	goal  string
	check func(r row) (figure string, met bool)
}

// ratioAtMost is met when the row's ratio is at most limit.
func ratioAtMost(limit float64) *target {
	return &target{
		goal: fmt.Sprintf("ratio ≤ %.1fx", limit),
		check: func(r row) (string, bool) {
			return fmt.Sprintf("%.2fx", r.ratio()), r.ratio() <= limit
		},
	}
}

// hostRSSBelow is met when the host's peak RSS stays under mib MiB.
func hostRSSBelow(mib int64) *target {
	return &target{
		goal: fmt.Sprintf("host RSS < %d MiB", mib),
		check: func(r row) (string, bool) {
			return formatMiB(r.hostRSS), r.hostRSS < mib<<20
		},
	}
}

// medianWithin is met when the median Gatehouse run takes at most d.
func medianWithin(d time.Duration) *target {
	return &target{
		goal: "median ≤ " + formatDuration(d),
		check: func(r row) (string, bool) {
			return formatDuration(r.gate.p50), r.gate.p50 <= d
		},
	}
}

// results collects the rows of the run in the order they finish.
var results struct {
	mu   sync.Mutex
	rows []row
}

// addRow records r for the table.
func addRow(r row) {
	results.mu.Lock()
	defer results.mu.Unlock()
	results.rows = append(results.rows, r)
}

// measured reports whether any row was recorded; `go test ./...` runs
// no benchmark and prints no table.
func measured() bool {
	results.mu.Lock()
	defer results.mu.Unlock()
	return len(results.rows) > 0
}

// printReport writes the machine, the table and the targets to w.
func printReport(w io.Writer) {
	results.mu.Lock()
	defer results.mu.Unlock()
	slices.SortStableFunc(results.rows, func(a, b row) int { return int(a.section - b.section) })
	fmt.Fprintf(w, "\nMachine: %d cores, %s, %s %s/%s\n\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	printTable(w, results.rows)
	printTargets(w, results.rows)
}

func printTable(w io.Writer, rows []row) {
	fmt.Fprintln(w, "| measurement | clients | gatehouse | baseline | ratio | gatehouse p50 / p99 | baseline p50 / p99 | notes |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|---|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %d | %s | %s | %.2fx | %s | %s | %s |\n",
			r.name, r.clients, formatSide(r.unit, r.gate), formatSide(r.unit, r.base),
			r.ratio(), formatLatency(r.gate), formatLatency(r.base), r.note)
	}
}

func printTargets(w io.Writer, rows []row) {
	fmt.Fprintln(w, "\nTargets:")
	for _, r := range rows {
		if r.target == nil {
			continue
		}
		figure, met := r.target.check(r)
		verdict := "MISSED"
		if met {
			verdict = "met"
		}
		fmt.Fprintf(w, "- %s (%d clients): %s, measured %s: %s\n",
			r.name, r.clients, r.target.goal, figure, verdict)
	}
}

func formatSide(u unit, m measure) string {
	switch u {
	case throughput:
		return fmt.Sprintf("%.0f req/s", float64(m.ops)/m.wall.Seconds())
	case elapsed:
		return formatDuration(m.perOp())
	}
	return formatDuration(m.perOp()) + "/op"
}

func formatLatency(m measure) string {
	return formatDuration(m.p50) + " / " + formatDuration(m.p99)
}

// formatDuration rounds d to three significant digits.
func formatDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
}

func formatMiB(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// cpuModel returns the first model name of /proc/cpuinfo.
func cpuModel() string {
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.Lines(string(info)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
