package forward

import (
	"context"
	"net"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/plugin"
)

// AuthenticateFunc decides who req comes from: the host's session lookup,
// else its auth chain. It fails with plugin.ErrUnauthenticated (wrapped)
// when the request carries no acceptable credential; any other error means
// the host could not decide, and the request is refused all the same.
type AuthenticateFunc func(ctx context.Context, req *plugin.CheckRequest) (plugin.Principal, error)

// ScopesFunc returns the scopes that role grants.
type ScopesFunc func(role string) []string

// Default identity header names.
const (
	DefaultUserHeader   = "X-Gatehouse-User"
	DefaultRoleHeader   = "X-Gatehouse-Role"
	DefaultScopesHeader = "X-Gatehouse-Scopes"
	DefaultStripPrefix  = "X-Gatehouse-"
)

// Headers names the identity headers set for an upstream. StripPrefixes
// lists prefixes of header names that only Gatehouse may set: a client's
// header with such a name never reaches an upstream.
type Headers struct {
	User          string
	Role          string
	Scopes        string
	StripPrefixes []string
}

// DefaultHeaders returns the default identity header names.
func DefaultHeaders() Headers {
	return Headers{
		User:          DefaultUserHeader,
		Role:          DefaultRoleHeader,
		Scopes:        DefaultScopesHeader,
		StripPrefixes: []string{DefaultStripPrefix},
	}
}

// withDefaults fills the empty names of h with the defaults.
func (h Headers) withDefaults() Headers {
	d := DefaultHeaders()
	if h.User == "" {
		h.User = d.User
	}
	if h.Role == "" {
		h.Role = d.Role
	}
	if h.Scopes == "" {
		h.Scopes = d.Scopes
	}
	if h.StripPrefixes == nil {
		h.StripPrefixes = d.StripPrefixes
	}
	return h
}

// Strip removes from hdr every identity header and every header whose
// name starts with one of the strip prefixes.
func (h Headers) Strip(hdr http.Header) {
	h = h.withDefaults()
	for _, name := range []string{h.User, h.Role, h.Scopes} {
		hdr.Del(name)
	}
	for name := range hdr {
		for _, p := range h.StripPrefixes {
			if p != "" && hasPrefixFold(name, p) {
				delete(hdr, name)
			}
		}
	}
}

// Set writes the identity of p, with the scopes its role grants, to hdr.
// Scopes are joined by a single space, as in OAuth.
func (h Headers) Set(hdr http.Header, p plugin.Principal, scopes []string) {
	h = h.withDefaults()
	hdr.Set(h.User, p.UserID)
	hdr.Set(h.Role, p.Role)
	hdr.Set(h.Scopes, strings.Join(scopes, " "))
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// Rule requires Scopes for the requests it matches. An empty Host matches
// every host; "*.example.com" matches any subdomain. An empty PathPrefix
// matches every path; "/api" matches "/api" and "/api/...", not "/apix".
type Rule struct {
	Host       string
	PathPrefix string
	Scopes     []string
}

// Required returns the union of the scopes of every rule that matches
// host and path. When pathKnown is false, every rule matching host
// applies, whatever its prefix: an unknown path gets the strictest answer.
func Required(rules []Rule, host, p string, pathKnown bool) []string {
	host = normalHost(host)
	p = CleanPath(p)
	var out []string
	for _, r := range rules {
		if !MatchHost(r.Host, host) {
			continue
		}
		if pathKnown && !MatchPrefix(r.PathPrefix, p) {
			continue
		}
		for _, s := range r.Scopes {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// Missing returns the scopes of required that granted lacks.
func Missing(granted, required []string) []string {
	var out []string
	for _, s := range required {
		if !slices.Contains(granted, s) {
			out = append(out, s)
		}
	}
	return out
}

// MatchHost reports whether host matches pattern (see Rule).
func MatchHost(pattern, host string) bool {
	if pattern == "" {
		return true
	}
	pattern = normalHost(pattern)
	host = normalHost(host)
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		return strings.HasSuffix(host, "."+rest)
	}
	return host == pattern
}

// MatchPrefix reports whether the cleaned path p lies under prefix (see
// Rule).
func MatchPrefix(prefix, p string) bool {
	if prefix == "" || prefix == "/" {
		return true
	}
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(p, prefix) || p == strings.TrimSuffix(prefix, "/")
	}
	return p == prefix || strings.HasPrefix(p, prefix+"/")
}

// normalHost lower-cases host and drops its port.
func normalHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// CleanPath resolves dot segments and doubled slashes the way a proxy
// does before it routes, keeping a trailing slash, so "/public/../admin"
// is judged as "/admin".
func CleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}
