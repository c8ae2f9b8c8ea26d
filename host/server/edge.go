package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/gatehouse/gatehouse/host/authcache"
	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/host/events"
	"github.com/gatehouse/gatehouse/host/forward"
	"github.com/gatehouse/gatehouse/host/openapi"
	"github.com/gatehouse/gatehouse/host/proxy"
	"github.com/gatehouse/gatehouse/host/ratelimit"
	"github.com/gatehouse/gatehouse/plugin"
)

// ForwardAuthPath is where the forward-auth endpoint is mounted; Envoy
// appends the original path to it.
const ForwardAuthPath = "/v1/forward-auth"

// Edge holds the optional parts in front of real traffic. A zero Edge
// serves forward auth with the default headers and no rules, events,
// and no routes, cache or limits.
type Edge struct {
	// Forward configures the forward-auth endpoint; Authenticate, Scopes
	// and Mount are set by the server.
	Forward forward.Options
	// Routes are proxied when no API route matches.
	Routes []proxy.Route
	// Cache remembers decisions for forward auth and routes; nil is off.
	Cache *authcache.Cache
	// Limits limit failed logins and approvals; nil is off.
	Limits *ratelimit.Guard
	// Events receives pairing activity; nil gets a default broker.
	Events *events.Broker
}

// EdgeOf builds the Edge that cfg declares.
func EdgeOf(e config.Edge, cookieName string) Edge {
	out := Edge{
		Forward: forward.Options{
			Headers: forward.Headers{User: e.ForwardAuth.UserHeader, Role: e.ForwardAuth.RoleHeader, Scopes: e.ForwardAuth.ScopesHeader},
			Realm:   e.ForwardAuth.Realm,
		},
		Cache: authcache.New(authcache.Options{
			PositiveTTL: e.AuthCache.PositiveTTL, NegativeTTL: e.AuthCache.NegativeTTL,
			MaxEntries: e.AuthCache.MaxEntries, CookieName: cookieName,
		}),
		Limits: ratelimit.New(ratelimit.Config{
			LoginPerMinute: e.RateLimit.LoginPerMinute, ApprovePerMinute: e.RateLimit.ApprovePerMinute,
			Burst: e.RateLimit.Burst,
		}),
	}
	for _, r := range e.ForwardAuth.Rules {
		out.Forward.Rules = append(out.Forward.Rules, forward.Rule{Host: r.Host, PathPrefix: r.PathPrefix, Scopes: r.Scopes})
	}
	for _, r := range e.Routes {
		out.Routes = append(out.Routes, proxy.Route{
			Name: r.Name, Prefix: r.Prefix, Host: r.Host, Upstream: r.Upstream,
			Scopes: r.Scopes, Timeout: r.Timeout, StripPrefix: r.StripPrefix,
		})
	}
	return out
}

// edgeRoutes mounts forward auth, events, the OpenAPI document and the
// proxied routes.
func (s *Server) edgeRoutes() {
	e := &s.opts.Edge
	if e.Events == nil {
		e.Events = events.New(events.Options{Logger: s.log.Named("events")})
	}
	auth := e.Cache.Wrap(s.edgeAuthenticate)

	fo := e.Forward
	fo.Authenticate, fo.Scopes, fo.Mount = auth, s.edgeScopes, ForwardAuthPath
	if fo.Logger == nil {
		fo.Logger = s.log.Named("forward")
	}
	fwd, err := forward.New(fo)
	if err != nil {
		panic(fmt.Sprintf("server: forward auth options: %v", err))
	}
	// Literal patterns, so that the OpenAPI test finds them.
	s.mux.Handle("/v1/forward-auth", fwd)
	s.mux.Handle("/v1/forward-auth/", fwd)
	s.mux.HandleFunc("GET /v1/events", s.events)
	s.mux.Handle("GET /openapi.yaml", openapi.Handler())

	if len(e.Routes) > 0 {
		px, err := proxy.New(proxy.Options{
			Routes: e.Routes, Authenticate: auth, Scopes: s.edgeScopes,
			Headers: fo.Headers, CookieName: s.policy.Load().Sessions.CookieName,
			Logger: s.log.Named("proxy"),
		})
		if err != nil {
			panic(fmt.Sprintf("server: routes: %v", err))
		}
		s.proxy = px
	}
}

// Close ends what the server runs beside its handlers: open event
// streams. Call it when the HTTP server shuts down.
func (s *Server) Close() {
	if b := s.opts.Edge.Events; b != nil {
		b.Close()
	}
}

// edge wraps the mux: rate limits for logins, approvals and password
// guesses anywhere else, then the proxied routes for requests no API
// route serves.
func (s *Server) edge(mux http.Handler) http.Handler {
	g := s.opts.Edge.Limits
	if g == nil {
		g = &ratelimit.Guard{}
	}
	login := ratelimit.Middleware(g.Login, ratelimit.LoginKeys, ratelimit.FailedLogin)(mux)
	approve := ratelimit.Middleware(g.Approve, ratelimit.ApproveKeys(s.callerID), ratelimit.FailedApproval)(mux)
	rest := ratelimit.Middleware(g.Login, ratelimit.GuessKeys, ratelimit.FailedLogin)(s.proxied(mux))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/login":
			login.ServeHTTP(w, r)
		case "/v1/pairing/approve", "/v1/pairing/deny":
			approve.ServeHTTP(w, r)
		default:
			rest.ServeHTTP(w, r)
		}
	})
}

// proxied serves the proxied routes for requests no API route serves.
func (s *Server) proxied(mux http.Handler) http.Handler {
	if s.proxy == nil {
		return mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := s.mux.Handler(r); pattern == "/" || pattern == "" {
			if _, ok := s.proxy.Match(r); ok {
				s.proxy.ServeHTTP(w, r)
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// events streams pairing activity to a caller holding events.read. The
// backend is released before streaming, so a stream never delays a reload.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	who, err := s.whoIs(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !who.Can(config.ScopeEventsRead) {
		s.fail(w, r, errorf(http.StatusForbidden, CodeForbidden,
			"role %q does not grant scope %s", who.Principal.Role, config.ScopeEventsRead))
		return
	}
	setUser(r, who.Principal.UserID)
	s.opts.Edge.Events.ServeHTTP(w, r)
}

// whoIs authenticates r with a backend it holds only for the lookup.
func (s *Server) whoIs(r *http.Request) (*Identity, error) {
	b, release := s.opts.Source.Acquire()
	defer release()
	if b == nil {
		return nil, errNoBackend
	}
	return s.authenticate(r, &call{backend: b, policy: s.policy.Load()})
}

// callerID names the caller of r for the approval limits, or "".
func (s *Server) callerID(r *http.Request) string {
	who, err := s.whoIs(r)
	if err != nil {
		return ""
	}
	return who.Principal.UserID
}

// edgeAuthenticate is the host's authentication for forward auth and
// routes: a session token, else the auth chain, judged on the original
// request.
func (s *Server) edgeAuthenticate(ctx context.Context, req *plugin.CheckRequest) (plugin.Principal, error) {
	r := (&http.Request{
		Method: req.Method, URL: &url.URL{Path: req.Path}, Host: req.Host,
		Header: req.Header, RemoteAddr: req.RemoteAddr,
	}).WithContext(ctx)
	who, err := s.whoIs(r)
	if err == nil {
		return who.Principal, nil
	}
	switch errorOf(err).status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return plugin.Principal{}, fmt.Errorf("%w: %v", plugin.ErrUnauthenticated, err)
	case http.StatusServiceUnavailable:
		return plugin.Principal{}, fmt.Errorf("%w: %v", plugin.ErrUnavailable, err)
	}
	return plugin.Principal{}, fmt.Errorf("%w: %v", plugin.ErrInternal, err)
}

// edgeScopes returns the scopes role grants; admin grants every scope.
func (s *Server) edgeScopes(role string) []string {
	scopes := s.policy.Load().Roles[role]
	if slices.Contains(scopes, config.ScopeAdmin) {
		return config.AllScopes
	}
	return scopes
}

// publish sends a pairing event; a closed broker is logged, not fatal.
func (s *Server) publish(typ string, data any) {
	if _, err := s.opts.Edge.Events.Publish(typ, data); err != nil {
		s.log.Warn("event not published", "type", typ, "error", err)
	}
}

// forgetSession drops cached decisions of a session at logout.
func (s *Server) forgetSession(key string) { s.opts.Edge.Cache.Forget(key) }
