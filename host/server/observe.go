package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// httpMetrics counts requests by route pattern and status.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_http_requests_total",
			Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gatehouse_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.opts.Gatherer, promhttp.HandlerOpts{})
}

// requestLog collects what the access log line says about one request.
type requestLog struct {
	user string
}

type logKey struct{}

// setUser records who r comes from, for the access log.
func setUser(r *http.Request, user string) {
	if rl, ok := r.Context().Value(logKey{}).(*requestLog); ok {
		rl.user = user
	}
}

// observe logs and counts every request once it is done. It never logs a
// header, a body or a query string.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rl := &requestLog{}
		r = r.WithContext(context.WithValue(r.Context(), logKey{}, rl))
		sw := &statusWriter{ResponseWriter: w}

		defer func() {
			route := r.Pattern
			if route == "" || route == "/" {
				route = "unmatched"
			}
			code := sw.status
			if code == 0 {
				code = http.StatusOK
			}
			d := time.Since(start)
			s.metrics.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
			s.metrics.duration.WithLabelValues(route).Observe(d.Seconds())
			s.log.Info("request", "route", route, "method", r.Method,
				"status", code, "duration", d, "user", rl.user)
		}()
		next.ServeHTTP(sw, r)
	})
}

// statusWriter remembers the status code written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
