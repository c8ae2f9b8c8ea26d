package supervisor

import (
	"errors"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the supervisor's Prometheus metrics. A nil *Metrics records
// nothing. It is safe for concurrent use.
type Metrics struct {
	calls    *prometheus.CounterVec
	errors   *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	restarts *prometheus.CounterVec
	up       *prometheus.GaugeVec

	mu    sync.Mutex     // guards ready
	ready map[string]int // ready instances per block key, across sets
}

// NewMetrics creates the metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		ready: make(map[string]int),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_plugin_calls_total",
			Help: "Calls into plugins, by plugin block and method.",
		}, []string{"plugin", "method"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_plugin_errors_total",
			Help: "Calls into plugins that failed, by plugin block, method and error kind.",
		}, []string{"plugin", "method", "kind"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gatehouse_plugin_call_duration_seconds",
			Help:    "Latency of calls into plugins, by plugin block and method.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 9),
		}, []string{"plugin", "method"}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_plugin_restarts_total",
			Help: "Restarts of plugin processes, by plugin block.",
		}, []string{"plugin"}),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gatehouse_plugin_up",
			Help: "Whether a plugin block is ready (1) or not (0).",
		}, []string{"plugin"}),
	}
	for _, c := range []prometheus.Collector{m.calls, m.errors, m.latency, m.restarts, m.up} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) observe(key, method string, start time.Time, err error) {
	if m == nil {
		return
	}
	m.calls.WithLabelValues(key, method).Inc()
	m.latency.WithLabelValues(key, method).Observe(time.Since(start).Seconds())
	if err != nil {
		m.errors.WithLabelValues(key, method, errorKind(err)).Inc()
	}
}

func (m *Metrics) restarted(key string) {
	if m != nil {
		m.restarts.WithLabelValues(key).Inc()
	}
}

// addReady counts a block's plugin becoming ready (+1) or not (-1). Two
// sets run the same block during a reload; the block is up while either
// is ready.
func (m *Metrics) addReady(key string, delta int) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ready[key] += delta
	v := 0.0
	if m.ready[key] > 0 {
		v = 1
	}
	m.up.WithLabelValues(key).Set(v)
}

// kinds names the error vocabulary for the errors metric.
var kinds = []struct {
	err  error
	name string
}{
	{plugin.ErrNotFound, "not_found"},
	{plugin.ErrInvalid, "invalid"},
	{plugin.ErrUnauthenticated, "unauthenticated"},
	{plugin.ErrDenied, "denied"},
	{plugin.ErrConflict, "conflict"},
	{plugin.ErrTooManyPending, "too_many_pending"},
	{plugin.ErrUnavailable, "unavailable"},
	{plugin.ErrTimeout, "timeout"},
	{plugin.ErrCanceled, "canceled"},
	{plugin.ErrUnimplemented, "unimplemented"},
}

func errorKind(err error) string {
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "internal"
}
