// Package server is the host's HTTP surface: login and sessions, the
// pairing API, forward auth, proxied routes, health, plugin status and
// metrics. It talks to plugins only through a Backend, which the wiring
// swaps on reload, and serves forward auth, routes, the decision cache
// and rate limits from an edge that a reload swaps too (SetEdge). Every
// request holds the backend and the edge it started with until it is
// done.
package server

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/host/events"
	"github.com/gatehouse/gatehouse/host/supervisor"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

// AuthPlugin is one link of the auth chain: an Auth with its block name.
type AuthPlugin struct {
	Name string
	plugin.Auth
}

// Backend is the plugin set a request is served by.
type Backend interface {
	// AuthChain returns the auth plugins in declared order.
	AuthChain() []AuthPlugin
	Pairing() plugin.Pairing
	Sessions() plugin.Sessions
	Statuses() []supervisor.Status
}

// Source hands each request the backend it is served by. The release
// function is called exactly once, when the request no longer uses the
// backend; a backend is not stopped while a request holds it. Acquire
// returns a nil Backend when none is running.
type Source interface {
	Acquire() (b Backend, release func())
}

// Static is a Source that always serves one backend.
type Static struct{ Backend Backend }

// Acquire implements Source.
func (s Static) Acquire() (Backend, func()) { return s.Backend, func() {} }

// Policy holds the settings a reload may change: which scopes each role
// grants and how sessions are minted.
type Policy struct {
	Roles    map[string][]string
	Sessions config.SessionSettings
}

// Options configure a Server.
type Options struct {
	Source Source
	Policy Policy
	// MaxBodyBytes caps request bodies; zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	Logger       hclog.Logger
	// Registerer receives the HTTP metrics; Gatherer is served on
	// /metrics. Nil means a private registry.
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	// Reload applies the config file again; nil disables the reload
	// route.
	Reload func(ctx context.Context) error
	// Edge holds forward auth, routes, the auth cache and rate limits
	// (edge.go); SetEdge replaces it.
	Edge Edge
	// Events receives pairing activity for the server's whole life;
	// nil gets a default broker.
	Events *events.Broker
	// TrustedProxies are the peers whose X-Forwarded-For names the
	// client; see clientAddr.
	TrustedProxies []netip.Prefix
}

// Defaults of the HTTP surface.
const (
	DefaultMaxBodyBytes = 1 << 20
	DefaultSessionTTL   = 24 * time.Hour
	DefaultCookieName   = "gatehouse_session"
)

// Server serves the HTTP API. It is safe for concurrent use.
type Server struct {
	opts    Options
	log     hclog.Logger
	policy  atomic.Pointer[Policy]
	edge    atomic.Pointer[BuiltEdge]
	broker  *events.Broker
	mux     *http.ServeMux
	metrics *httpMetrics
	handler http.Handler
}

// New returns a Server with its routes registered, or an error when
// opts.Edge does not build.
func New(opts Options) (*Server, error) {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Registerer == nil || opts.Gatherer == nil {
		reg := prometheus.NewRegistry()
		opts.Registerer, opts.Gatherer = reg, reg
	}
	if opts.Events == nil {
		opts.Events = events.New(events.Options{Logger: opts.Logger.Named("events")})
	}
	s := &Server{
		opts:    opts,
		log:     opts.Logger,
		broker:  opts.Events,
		mux:     http.NewServeMux(),
		metrics: newHTTPMetrics(opts.Registerer),
	}
	s.SetPolicy(opts.Policy)
	s.routes()
	b, err := s.BuildEdge(opts.Edge)
	if err != nil {
		return nil, fmt.Errorf("edge: %w", err)
	}
	s.SetEdge(b)
	s.handler = s.observe(http.HandlerFunc(serveEdge))
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, s.withEdge(clientAddr(r, s.opts.TrustedProxies)))
}

// SetPolicy replaces the policy; requests that start afterwards use it.
func (s *Server) SetPolicy(p Policy) {
	if p.Roles == nil {
		p.Roles = config.DefaultRoles
	}
	if p.Sessions.TTL <= 0 {
		p.Sessions.TTL = DefaultSessionTTL
	}
	if p.Sessions.CookieName == "" {
		p.Sessions.CookieName = DefaultCookieName
	}
	s.policy.Store(&p)
}

func (s *Server) routes() {
	s.public("GET /healthz", s.healthz)
	s.public("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", s.metricsHandler())
	s.public("POST /v1/login", s.login)

	s.route("GET /v1/whoami", scopeAny, s.whoami)
	s.route("POST /v1/logout", scopeAny, s.logout)

	s.route("POST /v1/pairing/requests", config.ScopePairingRequest, s.openRequest)
	s.route("GET /v1/pairing/status", config.ScopePairingRequest, s.pairingStatus)
	s.route("GET /v1/pairing/pending", config.ScopePairingRead, s.pending)
	s.route("POST /v1/pairing/approve", config.ScopePairingApprove, s.approve)
	s.route("POST /v1/pairing/deny", config.ScopePairingApprove, s.deny)
	s.route("GET /v1/pairing/paired", config.ScopePairingRead, s.paired)
	s.route("POST /v1/pairing/revoke", config.ScopePairingRevoke, s.revoke)
	s.route("GET /v1/pairing/audit", config.ScopePairingRead, s.audit)

	s.route("GET /v1/plugins", config.ScopePluginsRead, s.plugins)
	if s.opts.Reload != nil {
		s.route("POST /v1/admin/reload", config.ScopeAdmin, s.reload)
	}
	s.edgeRoutes()
	s.mux.HandleFunc("/", s.unrouted)
}

// call is what a handler gets besides the request: the backend it is
// served by and, on authenticated routes, who is calling.
type call struct {
	backend Backend
	policy  *Policy
	who     *Identity
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call) error

// scopeAny marks a route that any authenticated caller may use.
const scopeAny = ""

// public registers a route that needs no credential.
func (s *Server) public(pattern string, h handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		b, release := s.opts.Source.Acquire()
		defer release()
		c := &call{backend: b, policy: s.policy.Load()}
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
		if err := h(w, r, c); err != nil {
			s.fail(w, r, err)
		}
	})
}

// route registers a route for callers holding scope.
func (s *Server) route(pattern, scope string, h handlerFunc) {
	s.public(pattern, func(w http.ResponseWriter, r *http.Request, c *call) error {
		if c.backend == nil {
			return errNoBackend
		}
		who, err := s.authenticate(r, c)
		if err != nil {
			return err
		}
		c.who = who
		setUser(r, who.Principal.UserID)
		if scope != scopeAny && !who.Can(scope) {
			return errorf(http.StatusForbidden, CodeForbidden,
				"role %q does not grant scope %s", who.Principal.Role, scope)
		}
		return h(w, r, c)
	})
}
