package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// workload is what one side of a pair runs. prepare, outside the clock
// and possibly nil, readies n operations; op runs operation i of them.
// op is called from several goroutines at once.
type workload struct {
	prepare func(ctx context.Context, n int) error
	op      func(ctx context.Context, i int) error
}

// measureSide runs w as the sub-benchmark name with the given number of
// concurrent clients and returns the measure of its final, longest
// round.
func measureSide(b *testing.B, name string, clients int, w workload) measure {
	b.Helper()
	var m measure
	if !b.Run(name, func(b *testing.B) { m = drive(b, clients, w) }) {
		b.FailNow()
	}
	return m
}

// pair measures Gatehouse and then its baseline with the same number of
// clients and records the row.
func pair(b *testing.B, r row, gate, base workload) {
	b.Helper()
	addRow(measurePair(b, r, gate, base))
}

// measurePair is pair without recording the row.
func measurePair(b *testing.B, r row, gate, base workload) row {
	b.Helper()
	suffix := fmt.Sprintf("/c=%d", r.clients)
	r.gate = measureSide(b, "gatehouse"+suffix, r.clients, gate)
	r.base = measureSide(b, "baseline"+suffix, r.clients, base)
	return r
}

// drive runs b.N operations of w spread over clients goroutines, each
// taking the next operation as soon as its last one is done.
func drive(b *testing.B, clients int, w workload) measure {
	ctx := b.Context()
	if w.prepare != nil {
		if err := w.prepare(ctx, b.N); err != nil {
			b.Fatalf("prepare %d operations: %v", b.N, err)
		}
	}
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	errs := make([]error, clients)

	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range min(clients, b.N) {
		wg.Go(func() { errs[c] = client(ctx, &next, lat, w.op) })
	}
	wg.Wait()
	wall := time.Since(start)
	b.StopTimer()

	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	m := summarize(lat, wall)
	b.ReportMetric(float64(m.p50.Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(m.p99.Nanoseconds()), "p99-ns")
	return m
}

// client runs operations until none is left or one fails.
func client(ctx context.Context, next *atomic.Int64, lat []time.Duration, op func(context.Context, int) error) error {
	for {
		i := int(next.Add(1) - 1)
		if i >= len(lat) {
			return nil
		}
		start := time.Now()
		if err := op(ctx, i); err != nil {
			return fmt.Errorf("operation %d: %w", i, err)
		}
		lat[i] = time.Since(start)
	}
}

// summarize sorts lat in place and reads its percentiles.
func summarize(lat []time.Duration, wall time.Duration) measure {
	slices.Sort(lat)
	return measure{
		ops:     len(lat),
		wall:    wall,
		p50:     percentile(lat, 50),
		p99:     percentile(lat, 99),
		slowest: percentile(lat, 100),
	}
}

// percentile returns the p-th percentile of the sorted lat.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[(len(sorted)-1)*p/100]
}
