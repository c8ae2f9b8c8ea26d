package proxy

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"

	"github.com/gatehouse/gatehouse/host/forward"
	"github.com/gatehouse/gatehouse/host/internal/apierr"
	"github.com/gatehouse/gatehouse/plugin"
)

// identityKey carries the authenticated identity from ServeHTTP to the
// rewrite of the outgoing request.
type identityKey struct{}

type identity struct {
	principal plugin.Principal
	scopes    []string
}

// reverseProxy builds the reverse proxy of one route.
func (p *Proxy) reverseProxy(rt Route) *httputil.ReverseProxy {
	tr := p.o.Transport.Clone()
	tr.ResponseHeaderTimeout = rt.Timeout
	if tr.ResponseHeaderTimeout <= 0 {
		tr.ResponseHeaderTimeout = DefaultTimeout
	}
	return &httputil.ReverseProxy{
		Rewrite:      func(pr *httputil.ProxyRequest) { p.rewrite(rt, pr) },
		Transport:    tr,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { p.fail(rt, w, r, err) },
	}
}

// rewrite points the outgoing request at the upstream and replaces every
// identity header with the real ones.
func (p *Proxy) rewrite(rt Route, pr *httputil.ProxyRequest) {
	out := pr.Out
	out.URL.Path = forward.CleanPath(out.URL.Path)
	out.URL.RawPath = ""
	if rt.StripPrefix && rt.Prefix != "" {
		out.URL.Path = "/" + strings.TrimLeft(strings.TrimPrefix(out.URL.Path, strings.TrimSuffix(rt.Prefix, "/")), "/")
	}
	pr.SetURL(rt.Upstream)
	pr.SetXForwarded()

	p.o.Headers.Strip(out.Header)
	if id, ok := out.Context().Value(identityKey{}).(identity); ok {
		p.o.Headers.Set(out.Header, id.principal, id.scopes)
	}
	if !rt.KeepCredentials {
		out.Header.Del("Authorization")
		dropCookie(out, p.o.CookieName)
	}
}

// dropCookie removes the cookie called name from r.
func dropCookie(r *http.Request, name string) {
	if name == "" {
		return
	}
	kept := r.Cookies()
	r.Header.Del("Cookie")
	for _, c := range kept {
		if c.Name != name {
			r.AddCookie(c)
		}
	}
}

// fail maps a transport error to 504 when the upstream was too slow and
// to 502 otherwise.
func (p *Proxy) fail(rt Route, w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(r.Context().Err(), context.Canceled) {
		p.o.Logger.Debug("proxy: client went away", "route", rt.Name)
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		p.o.Logger.Warn("proxy: upstream timed out", "route", rt.Name, "upstream", rt.Upstream.Redacted(), "error", err)
		apierr.Write(w, http.StatusGatewayTimeout, apierr.CodeGatewayTimeout,
			"the upstream service of route "+rt.Name+" did not answer in time")
		return
	}
	p.o.Logger.Warn("proxy: upstream failed", "route", rt.Name, "upstream", rt.Upstream.Redacted(), "error", err)
	apierr.Write(w, http.StatusBadGateway, apierr.CodeBadGateway,
		"the upstream service of route "+rt.Name+" is unreachable or answered badly")
}
