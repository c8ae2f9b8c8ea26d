// Package proxy forwards authenticated requests to upstream services. A
// route matches by host, path prefix or both; the request must carry a
// credential the host accepts and the scopes the route requires. Every
// identity header the client sent is removed and the real ones are set;
// the client's Gatehouse credentials are removed unless the route keeps
// them. WebSocket upgrades pass through. An upstream that cannot be
// reached answers 502, one that does not answer in time 504, both with
// the host's JSON error shape.
package proxy

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/host/forward"
	"github.com/gatehouse/gatehouse/host/internal/apierr"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/hashicorp/go-hclog"
)

// DefaultTimeout bounds how long an upstream may take to send its
// response headers when a route sets no timeout.
const DefaultTimeout = 30 * time.Second

// Route sends the requests it matches to Upstream.
type Route struct {
	Name string
	// Prefix matches the path ("/api" matches "/api" and "/api/...").
	// Empty matches every path of Host.
	Prefix string
	// Host matches the Host header; "*.example.com" matches subdomains.
	// Empty matches every host.
	Host string
	// Upstream is the base URL; the request path is appended to its path.
	Upstream *url.URL
	// Scopes must all be granted to the caller's role.
	Scopes []string
	// Timeout bounds the wait for the upstream's response headers; zero
	// means DefaultTimeout. Bodies and WebSocket streams are not bounded.
	Timeout time.Duration
	// StripPrefix removes Prefix from the path sent upstream.
	StripPrefix bool
	// KeepCredentials passes the client's Authorization header and
	// session cookie upstream; by default they are removed.
	KeepCredentials bool
}

// Options configures a Proxy.
type Options struct {
	Routes []Route
	// Authenticate decides who a request comes from. Required.
	Authenticate forward.AuthenticateFunc
	// Scopes returns the scopes a role grants. Required.
	Scopes forward.ScopesFunc
	// Headers names the identity headers sent upstream.
	Headers forward.Headers
	// CookieName is the host's session cookie, removed before a request
	// goes upstream.
	CookieName string
	// Transport is cloned for each route; nil means
	// http.DefaultTransport.
	Transport *http.Transport
	Logger    hclog.Logger
}

// Proxy routes requests to upstreams. It is safe for concurrent use.
type Proxy struct {
	o      Options
	routes []*route
}

// route is a Route with its reverse proxy.
type route struct {
	Route
	rp *httputil.ReverseProxy
}

var _ http.Handler = (*Proxy)(nil)

// New checks the routes of o and returns a Proxy.
func New(o Options) (*Proxy, error) {
	if o.Authenticate == nil || o.Scopes == nil {
		return nil, fmt.Errorf("proxy: authenticate and scopes are required: %w", plugin.ErrInvalid)
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.Transport == nil {
		o.Transport = http.DefaultTransport.(*http.Transport)
	}
	p := &Proxy{o: o}
	for _, rt := range o.Routes {
		if err := check(rt); err != nil {
			return nil, err
		}
		p.routes = append(p.routes, &route{Route: rt, rp: p.reverseProxy(rt)})
	}
	return p, nil
}

// check reports what is wrong with rt.
func check(rt Route) error {
	switch {
	case rt.Prefix == "" && rt.Host == "":
		return fmt.Errorf("route %q: needs a prefix or a host: %w", rt.Name, plugin.ErrInvalid)
	case rt.Prefix != "" && !strings.HasPrefix(rt.Prefix, "/"):
		return fmt.Errorf("route %q: prefix %q must start with /: %w", rt.Name, rt.Prefix, plugin.ErrInvalid)
	case rt.Upstream == nil || rt.Upstream.Host == "":
		return fmt.Errorf("route %q: upstream needs a host: %w", rt.Name, plugin.ErrInvalid)
	case rt.Upstream.Scheme != "http" && rt.Upstream.Scheme != "https":
		return fmt.Errorf("route %q: upstream scheme %q is not http or https: %w", rt.Name, rt.Upstream.Scheme, plugin.ErrInvalid)
	}
	return nil
}

// Match returns the route for r: among the routes whose host matches,
// the one with the longest matching prefix.
func (p *Proxy) Match(r *http.Request) (Route, bool) {
	rt := p.match(r.Host, forward.CleanPath(r.URL.Path))
	if rt == nil {
		return Route{}, false
	}
	return rt.Route, true
}

func (p *Proxy) match(host, path string) *route {
	var best *route
	for _, rt := range p.routes {
		if !forward.MatchHost(rt.Host, host) || !forward.MatchPrefix(rt.Prefix, path) {
			continue
		}
		if best == nil || len(rt.Prefix) > len(best.Prefix) {
			best = rt
		}
	}
	return best
}

// ServeHTTP authenticates r, checks the scopes of its route and forwards
// it. A request no route matches gets 404.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt := p.match(r.Host, forward.CleanPath(r.URL.Path))
	if rt == nil {
		apierr.Write(w, http.StatusNotFound, apierr.CodeNotFound, "no route for this request")
		return
	}

	pr, err := p.o.Authenticate(r.Context(), checkRequest(r))
	if err != nil {
		p.refuse(w, rt, err)
		return
	}
	granted := p.o.Scopes(pr.Role)
	if missing := forward.Missing(granted, rt.Scopes); len(missing) > 0 {
		p.o.Logger.Info("proxy: missing scopes", "route", rt.Name, "user_id", pr.UserID, "missing", missing)
		apierr.Write(w, http.StatusForbidden, apierr.CodeForbidden,
			"this route needs the scopes: "+strings.Join(missing, ", "))
		return
	}

	if r.Header.Get("Upgrade") != "" {
		// A WebSocket outlives the server's read and write timeouts.
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Time{})
		_ = rc.SetWriteDeadline(time.Time{})
	}
	ctx := context.WithValue(r.Context(), identityKey{}, identity{pr, granted})
	rt.rp.ServeHTTP(w, r.WithContext(ctx))
}

func (p *Proxy) refuse(w http.ResponseWriter, rt *route, err error) {
	if forward.IsUnauthenticated(err) {
		apierr.Write(w, http.StatusUnauthorized, apierr.CodeUnauthenticated, "log in or send a valid token")
		return
	}
	p.o.Logger.Error("proxy: cannot authenticate", "route", rt.Name, "error", err)
	apierr.Write(w, http.StatusServiceUnavailable, apierr.CodeUnavailable,
		"authentication is unavailable; try again shortly")
}

// checkRequest describes r for the auth chain.
func checkRequest(r *http.Request) *plugin.CheckRequest {
	return &plugin.CheckRequest{
		Method:     r.Method,
		Path:       forward.CleanPath(r.URL.Path),
		Host:       r.Host,
		Header:     r.Header.Clone(),
		RemoteAddr: r.RemoteAddr,
	}
}
