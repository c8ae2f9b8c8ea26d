package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/gatehouse/gatehouse/host/authcache"
	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/host/forward"
	"github.com/gatehouse/gatehouse/host/openapi"
	"github.com/gatehouse/gatehouse/host/proxy"
	"github.com/gatehouse/gatehouse/host/ratelimit"
	"github.com/gatehouse/gatehouse/plugin"
)

// ForwardAuthPath is where the forward-auth endpoint is mounted; Envoy
// appends the original path to it.
const ForwardAuthPath = "/v1/forward-auth"

// Edge holds the config-driven parts in front of real traffic. A zero
// Edge serves forward auth with the default headers and no rules, and
// has no routes, cache or limits.
type Edge struct {
	// Forward configures the forward-auth endpoint; Authenticate, Scopes
	// and Mount are set by the server.
	Forward forward.Options
	// Routes are proxied when no API route matches.
	Routes []proxy.Route
	// CookieName is the session cookie removed from proxied requests;
	// empty means the policy's at the time the edge is built.
	CookieName string
	// Cache remembers decisions for forward auth and routes; nil is off.
	Cache *authcache.Cache
	// Limits limit failed logins and approvals; nil is off. Passing the
	// Guard of the running edge again keeps what it has counted.
	Limits *ratelimit.Guard
}

// EdgeOf builds the Edge that e declares, with a new cache and new
// limits.
func EdgeOf(e config.Edge, cookieName string) Edge {
	out := Edge{
		Forward: forward.Options{
			Headers: forward.Headers{User: e.ForwardAuth.UserHeader, Role: e.ForwardAuth.RoleHeader, Scopes: e.ForwardAuth.ScopesHeader},
			Realm:   e.ForwardAuth.Realm,
		},
		CookieName: cookieName,
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

// BuiltEdge is an Edge checked and assembled for serving by BuildEdge.
// It does not change once built; SetEdge puts it in service whole.
type BuiltEdge struct {
	cache   *authcache.Cache
	forward *forward.Handler
	proxy   *proxy.Proxy // nil without routes
	handler http.Handler // the limits, then the proxy or the mux
}

// BuildEdge checks e and assembles it over the server's API routes. An
// error names what is wrong; nothing is served until SetEdge.
func (s *Server) BuildEdge(e Edge) (*BuiltEdge, error) {
	b := &BuiltEdge{cache: e.Cache}
	auth := e.Cache.Wrap(s.edgeAuthenticate)

	fo := e.Forward
	fo.Authenticate, fo.Scopes, fo.Mount = auth, s.edgeScopes, ForwardAuthPath
	if fo.Logger == nil {
		fo.Logger = s.log.Named("forward")
	}
	var err error
	if b.forward, err = forward.New(fo); err != nil {
		return nil, fmt.Errorf("forward auth: %w", err)
	}

	if len(e.Routes) > 0 {
		if e.CookieName == "" {
			e.CookieName = s.policy.Load().Sessions.CookieName
		}
		b.proxy, err = proxy.New(proxy.Options{
			Routes: e.Routes, Authenticate: auth, Scopes: s.edgeScopes,
			Headers: fo.Headers, CookieName: e.CookieName,
			Logger: s.log.Named("proxy"),
		})
		if err != nil {
			return nil, fmt.Errorf("routes: %w", err)
		}
	}
	b.handler = s.limited(e.Limits, s.proxied(b.proxy))
	return b, nil
}

// SetEdge makes b serve the requests that start afterwards. A request in
// flight finishes on the edge it started on; a route that b lacks is not
// served to any request that starts after SetEdge returns.
func (s *Server) SetEdge(b *BuiltEdge) { s.edge.Store(b) }

// edgeKey carries the request's BuiltEdge in its context.
type edgeKey struct{}

// withEdge returns r holding the edge in service now; r keeps that edge
// until it is done, whatever SetEdge does meanwhile.
func (s *Server) withEdge(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), edgeKey{}, s.edge.Load()))
}

// serveEdge serves r on its edge.
func serveEdge(w http.ResponseWriter, r *http.Request) {
	edgeOf(r).handler.ServeHTTP(w, r)
}

// edgeOf returns the edge r is served on.
func edgeOf(r *http.Request) *BuiltEdge {
	return r.Context().Value(edgeKey{}).(*BuiltEdge)
}

// edgeRoutes mounts forward auth, events and the OpenAPI document.
func (s *Server) edgeRoutes() {
	forwardAuth := func(w http.ResponseWriter, r *http.Request) {
		edgeOf(r).forward.ServeHTTP(w, r)
	}
	// Literal patterns, so that the OpenAPI test finds them.
	s.mux.HandleFunc("/v1/forward-auth", forwardAuth)
	s.mux.HandleFunc("/v1/forward-auth/", forwardAuth)
	s.mux.HandleFunc("GET /v1/events", s.events)
	s.mux.Handle("GET /openapi.yaml", openapi.Handler())
}

// Close ends what the server runs beside its handlers: open event
// streams. Call it when the HTTP server shuts down.
func (s *Server) Close() { s.broker.Close() }

// limited applies the rate limits of g: for logins, approvals and
// password guesses anywhere else, the last in front of next.
func (s *Server) limited(g *ratelimit.Guard, next http.Handler) http.Handler {
	if g == nil {
		g = &ratelimit.Guard{}
	}
	login := ratelimit.Middleware(g.Login, ratelimit.LoginKeys, ratelimit.FailedLogin)(s.mux)
	approve := ratelimit.Middleware(g.Approve, ratelimit.ApproveKeys(s.callerID), ratelimit.FailedApproval)(s.mux)
	rest := ratelimit.Middleware(g.Login, ratelimit.GuessKeys, ratelimit.FailedLogin)(next)
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

// proxied serves the routes of px to requests no API route serves.
func (s *Server) proxied(px *proxy.Proxy) http.Handler {
	if px == nil {
		return s.mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := s.mux.Handler(r); pattern == "/" || pattern == "" {
			if _, ok := px.Match(r); ok {
				px.ServeHTTP(w, r)
				return
			}
		}
		s.mux.ServeHTTP(w, r)
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
	s.broker.ServeHTTP(w, r)
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
	if _, err := s.broker.Publish(typ, data); err != nil {
		s.log.Warn("event not published", "type", typ, "error", err)
	}
}

// forgetSession drops the cached decisions of a session at logout, from
// the edge r started on and from the one in service now, which a reload
// may have put there meanwhile.
func (s *Server) forgetSession(r *http.Request, key string) {
	edgeOf(r).cache.Forget(key)
	s.edge.Load().cache.Forget(key)
}
