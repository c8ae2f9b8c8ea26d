// Package gateway wires the host together: it loads the config, starts
// the plugin set, serves the HTTP API, reloads on SIGHUP or through the
// API, and shuts down in order: HTTP first, then the plugins.
package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/host/ratelimit"
	"github.com/gatehouse/gatehouse/host/server"
	"github.com/gatehouse/gatehouse/host/supervisor"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// ErrInvalidConfig is returned when a config is refused; its diagnostics
// have been written or logged.
var ErrInvalidConfig = errors.New("invalid config")

// Bounds of the shutdown and of the wait for requests on a retired set.
const (
	shutdownTimeout = 15 * time.Second
	drainTimeout    = 2 * time.Minute
)

// Options configure Run.
type Options struct {
	ConfigPath string
	Logger     hclog.Logger
	// Diagnostics receives config diagnostics at start; nil means
	// os.Stderr. Diagnostics of a refused reload are logged.
	Diagnostics io.Writer
	// Listening, when set, is called with the bound address once the
	// listener accepts connections.
	Listening func(addr string)
}

// gateway is one running host.
type gateway struct {
	opts    Options
	log     hclog.Logger
	metrics *supervisor.Metrics
	cur     current
	srv     *server.Server

	reloadMu sync.Mutex       // serialises reloads; guards cfg, limits and closed
	cfg      *config.Config   // the config being served
	limits   *ratelimit.Guard // the rate limits being served
	closed   bool             // shutdown has begun
	retiring sync.WaitGroup   // sets being drained and stopped
	life     context.Context
}

// Run serves the config at opts.ConfigPath until ctx ends, then shuts
// down gracefully. A config with errors returns ErrInvalidConfig.
func Run(ctx context.Context, opts Options) error {
	g, reg, err := newGateway(ctx, opts)
	if err != nil {
		return err
	}
	cfg, err := g.load(opts.Diagnostics)
	if err != nil {
		return err
	}
	set, err := g.start(ctx, cfg)
	if err != nil {
		return err
	}
	g.cur.swap(set)

	edge := g.edgeOf(cfg)
	g.srv, err = server.New(server.Options{
		Source: &g.cur, Policy: policyOf(cfg), MaxBodyBytes: cfg.Listener.MaxBodyBytes,
		TrustedProxies: cfg.Listener.TrustedProxies,
		Logger:         g.log.Named("http"), Registerer: reg, Gatherer: reg, Reload: g.reload,
		Edge: edge,
	})
	if err != nil {
		g.shutdown(nil)
		return err
	}
	g.cfg, g.limits = cfg, edge.Limits
	return g.serve(ctx, cfg.Listener)
}

func newGateway(ctx context.Context, opts Options) (*gateway, *prometheus.Registry, error) {
	if opts.Logger == nil {
		opts.Logger = hclog.New(&hclog.LoggerOptions{Name: "gatehouse", Output: os.Stderr})
	}
	if opts.Diagnostics == nil {
		opts.Diagnostics = os.Stderr
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := supervisor.NewMetrics(reg)
	if err != nil {
		return nil, nil, fmt.Errorf("register metrics: %w", err)
	}
	g := &gateway{opts: opts, log: opts.Logger, metrics: m, life: context.WithoutCancel(ctx)}
	return g, reg, nil
}

// load reads the config, writing its diagnostics to w.
func (g *gateway) load(w io.Writer) (*config.Config, error) {
	cfg, diags := config.Load(g.opts.ConfigPath)
	if len(diags) > 0 {
		cfg.WriteDiagnostics(w, diags)
	}
	if diags.HasErrors() {
		return nil, ErrInvalidConfig
	}
	return cfg, nil
}

// serve runs the HTTP server until ctx ends or SIGHUP asks for a reload.
func (g *gateway) serve(ctx context.Context, l config.Listener) error {
	ln, err := net.Listen("tcp", l.Address)
	if err != nil {
		g.shutdown(nil)
		return fmt.Errorf("listen on %s: %w", l.Address, err)
	}
	hs := httpServer(l, g.srv, g.log)
	hs.RegisterOnShutdown(g.srv.Close)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	g.log.Info("listening", "address", ln.Addr().String())
	if g.opts.Listening != nil {
		g.opts.Listening(ln.Addr().String())
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-hup:
			g.log.Info("reload requested", "by", "SIGHUP")
			g.reload(ctx)
		case err := <-served:
			g.shutdown(nil)
			return fmt.Errorf("serve http: %w", err)
		case <-ctx.Done():
			g.log.Info("shutting down")
			return g.shutdown(hs)
		}
	}
}

// shutdown stops accepting requests, lets the running ones finish within
// a bound, then stops every plugin set.
func (g *gateway) shutdown(hs *http.Server) error {
	ctx, cancel := context.WithTimeout(g.life, shutdownTimeout)
	defer cancel()
	var errs []error
	if hs != nil {
		if err := hs.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down http: %w", err))
			hs.Close()
		}
	}
	g.reloadMu.Lock()
	g.closed = true
	if old := g.cur.swap(nil); old != nil {
		g.retire(old, shutdownTimeout)
	}
	g.reloadMu.Unlock()
	g.retiring.Wait()
	return errors.Join(errs...)
}

// httpServer applies the listener's limits and timeouts.
func httpServer(l config.Listener, h http.Handler, log hclog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadTimeout:       l.ReadTimeout,
		ReadHeaderTimeout: l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog: log.Named("http").StandardLogger(&hclog.StandardLoggerOptions{
			ForceLevel: hclog.Warn,
		}),
	}
}

// policyOf is the part of cfg that the server applies per request.
func policyOf(cfg *config.Config) server.Policy {
	return server.Policy{Roles: cfg.Roles, Sessions: cfg.Sessions}
}

// edgeOf is the edge cfg declares. It keeps the rate limits being
// served, with what they have counted, unless cfg changes the rate_limit
// settings: a reload must not reset a guesser's allowance.
func (g *gateway) edgeOf(cfg *config.Config) server.Edge {
	e := server.EdgeOf(cfg.Edge, cfg.Sessions.CookieName)
	if g.cfg != nil && cfg.Edge.RateLimit == g.cfg.Edge.RateLimit {
		e.Limits = g.limits
	}
	return e
}

// diagnosticsText renders diags as the CLI prints them, for the log.
func diagnosticsText(cfg *config.Config, diags hcl.Diagnostics) string {
	var buf bytes.Buffer
	cfg.WriteDiagnostics(&buf, diags)
	return buf.String()
}
