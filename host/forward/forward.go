// Package forward answers forward-auth requests: the subrequests that
// nginx auth_request, Traefik ForwardAuth and Envoy's HTTP external
// authorization send before they let a request through.
//
// The handler rebuilds the original request from the forwarded headers,
// asks the host who it comes from, checks the scopes the rules require,
// and answers 200 with identity headers, 401 or 403. Which proxy sends
// what:
//
//   - nginx auth_request sends nothing by default; the location sets
//     X-Original-URI $request_uri and X-Original-Method $request_method
//     (the subrequest itself is always a GET), and Host is kept.
//   - Traefik ForwardAuth sends X-Forwarded-Method, X-Forwarded-Proto,
//     X-Forwarded-Host, X-Forwarded-Uri and X-Forwarded-For, with every
//     header of the original request.
//   - Envoy ext_authz in HTTP service mode sends the original method,
//     the original path appended to its path_prefix, and the allowed
//     headers; mount the handler under a prefix and set Options.Mount.
//
// X-Forwarded-* wins over X-Original-*, which wins over the request's own
// method and path.
package forward

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/host/internal/apierr"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/hashicorp/go-hclog"
)

// Options configures a Handler.
type Options struct {
	// Authenticate decides who a request comes from. Required.
	Authenticate AuthenticateFunc
	// Scopes returns the scopes a role grants. Required.
	Scopes ScopesFunc
	// Headers names the identity headers of a 200 answer.
	Headers Headers
	// Rules require scopes per host or path prefix.
	Rules []Rule
	// Realm, when set, adds WWW-Authenticate: Basic realm="Realm" to a
	// 401, so that a browser behind the proxy prompts for a password.
	Realm string
	// Mount is the path the handler is mounted at. A request to
	// Mount+"/some/path" without forwarded headers is judged as
	// "/some/path" (Envoy's path_prefix).
	Mount string
	// Logger receives one line per refused request. Defaults to a null
	// logger.
	Logger hclog.Logger
}

// Handler is the forward-auth endpoint. It is safe for concurrent use.
type Handler struct {
	o Options
}

var _ http.Handler = (*Handler)(nil)

// New returns a Handler for o.
func New(o Options) (*Handler, error) {
	if o.Authenticate == nil || o.Scopes == nil {
		return nil, fmt.Errorf("forward auth: authenticate and scopes are required: %w", plugin.ErrInvalid)
	}
	if strings.ContainsAny(o.Realm, "\"\\\r\n") {
		return nil, fmt.Errorf("forward auth: realm %q has quotes or line breaks: %w", o.Realm, plugin.ErrInvalid)
	}
	o.Headers = o.Headers.withDefaults()
	o.Mount = strings.TrimSuffix(o.Mount, "/")
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	return &Handler{o: o}, nil
}

// ServeHTTP answers one forward-auth request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	orig, known, err := h.Original(r)
	if err != nil {
		h.o.Logger.Warn("forward auth: bad original uri", "error", err)
		apierr.Write(w, http.StatusForbidden, apierr.CodeForbidden, "the original request URI is not valid")
		return
	}

	p, err := h.o.Authenticate(r.Context(), orig)
	if err != nil {
		h.refuse(w, orig, err)
		return
	}

	granted := h.o.Scopes(p.Role)
	required := Required(h.o.Rules, orig.Host, orig.Path, known)
	if missing := Missing(granted, required); len(missing) > 0 {
		h.o.Logger.Info("forward auth: missing scopes",
			"user_id", p.UserID, "host", orig.Host, "path", orig.Path, "missing", missing)
		apierr.Write(w, http.StatusForbidden, apierr.CodeForbidden,
			"this request needs the scopes: "+strings.Join(missing, ", "))
		return
	}

	h.o.Headers.Set(w.Header(), p, granted)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// refuse answers 401 when the request is not authenticated and 503 when
// the host could not decide.
func (h *Handler) refuse(w http.ResponseWriter, orig *plugin.CheckRequest, err error) {
	if !IsUnauthenticated(err) {
		h.o.Logger.Error("forward auth: cannot decide", "host", orig.Host, "path", orig.Path, "error", err)
		apierr.Write(w, http.StatusServiceUnavailable, apierr.CodeUnavailable,
			"authentication is unavailable; try again shortly")
		return
	}
	h.o.Logger.Debug("forward auth: unauthenticated", "host", orig.Host, "path", orig.Path)
	if h.o.Realm != "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+h.o.Realm+`", charset="UTF-8"`)
	}
	apierr.Write(w, http.StatusUnauthorized, apierr.CodeUnauthenticated, "log in or send a valid token")
}

// IsUnauthenticated reports whether err is a verdict about the credential
// (absent, wrong or denied) rather than a failure to decide.
func IsUnauthenticated(err error) bool {
	return errors.Is(err, plugin.ErrUnauthenticated) ||
		errors.Is(err, plugin.ErrDenied) ||
		errors.Is(err, plugin.ErrNotFound)
}

// Original rebuilds the request the proxy received from r. known is false
// when no header and no path suffix says which URI it was.
func (h *Handler) Original(r *http.Request) (req *plugin.CheckRequest, known bool, err error) {
	method := first(r.Header, "X-Forwarded-Method", "X-Original-Method")
	if method == "" {
		method = r.Method
	}
	host := first(r.Header, "X-Forwarded-Host")
	if host == "" {
		host = r.Host
	}

	uri := first(r.Header, "X-Forwarded-Uri", "X-Original-URI", "X-Original-Url")
	known = uri != ""
	if !known {
		if rest, ok := strings.CutPrefix(r.URL.Path, h.o.Mount); ok && strings.HasPrefix(rest, "/") {
			uri, known = rest, true
		}
	}
	p := "/"
	if known {
		u, err := url.ParseRequestURI(uri)
		if err != nil {
			return nil, false, fmt.Errorf("parse %q: %w", uri, plugin.ErrInvalid)
		}
		p = CleanPath(u.Path)
	}

	return &plugin.CheckRequest{
		Method:     strings.ToUpper(method),
		Path:       p,
		Host:       host,
		Header:     r.Header.Clone(),
		RemoteAddr: r.RemoteAddr,
		TLS:        tlsInfo(r),
	}, known, nil
}

// first returns the value of the first of names that r carries.
func first(h http.Header, names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(h.Get(n)); v != "" {
			return v
		}
	}
	return ""
}

func tlsInfo(r *http.Request) *plugin.TLSInfo {
	if r.TLS == nil {
		return nil
	}
	info := &plugin.TLSInfo{ServerName: r.TLS.ServerName}
	for _, c := range r.TLS.PeerCertificates {
		info.PeerSubjects = append(info.PeerSubjects, c.Subject.String())
	}
	return info
}
