package config

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Edge holds the settings of the host's edge: proxied routes, forward
// auth, the auth decision cache and rate limits.
type Edge struct {
	Routes      []Route
	ForwardAuth ForwardAuth
	AuthCache   AuthCache
	RateLimit   RateLimit
}

// Route proxies the requests it matches to Upstream.
type Route struct {
	Name        string
	Prefix      string
	Host        string
	Upstream    *url.URL
	Scopes      []string
	Timeout     time.Duration
	StripPrefix bool
	DeclRange   hcl.Range
}

// ForwardAuth configures the forward-auth endpoint. Empty header names
// take the defaults (X-Gatehouse-User, -Role, -Scopes).
type ForwardAuth struct {
	UserHeader   string
	RoleHeader   string
	ScopesHeader string
	// Realm, when set, makes a 401 ask a browser for Basic credentials.
	Realm string
	Rules []ForwardRule
}

// ForwardRule requires Scopes for requests to Host and/or under
// PathPrefix.
type ForwardRule struct {
	Host       string
	PathPrefix string
	Scopes     []string
}

// AuthCache configures the decision cache; zero lifetimes mean no cache.
type AuthCache struct {
	PositiveTTL time.Duration
	NegativeTTL time.Duration
	MaxEntries  int
}

// RateLimit sets how many failed logins and approvals a client address
// or principal may make per minute, with a burst.
type RateLimit struct {
	LoginPerMinute   int
	ApprovePerMinute int
	Burst            int
}

// Defaults of the edge, used when a config has no rate_limit block.
const (
	DefaultLoginPerMinute   = 10
	DefaultApprovePerMinute = 10
	DefaultRateBurst        = 5
)

// edgeBlocks are the top-level blocks this file decodes.
var edgeBlocks = []hcl.BlockHeaderSchema{
	{Type: "route", LabelNames: []string{"name"}},
	{Type: "forward_auth"},
	{Type: "auth_cache"},
	{Type: "rate_limit"},
}

var (
	routeSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "prefix"}, {Name: "host"}, {Name: "upstream", Required: true},
		{Name: "scopes"}, {Name: "timeout"}, {Name: "strip_prefix"},
	}}
	forwardSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "user_header"}, {Name: "role_header"}, {Name: "scopes_header"}, {Name: "realm"},
		},
		Blocks: []hcl.BlockHeaderSchema{{Type: "rule"}},
	}
	ruleSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "host"}, {Name: "path_prefix"}, {Name: "scopes", Required: true},
	}}
	cacheSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "positive_ttl"}, {Name: "negative_ttl"}, {Name: "max_entries"},
	}}
	rateSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "login_per_minute"}, {Name: "approve_per_minute"}, {Name: "burst"},
	}}
)

// defaultEdge returns the edge a config gets without edge blocks.
func defaultEdge() Edge {
	return Edge{RateLimit: RateLimit{
		LoginPerMinute:   DefaultLoginPerMinute,
		ApprovePerMinute: DefaultApprovePerMinute,
		Burst:            DefaultRateBurst,
	}}
}

// edgeBlock decodes b when it is an edge block and reports whether it
// was one.
func (d *decoder) edgeBlock(b *hcl.Block) bool {
	switch b.Type {
	case "route":
		if d.unique(b, "route."+b.Labels[0], "Each route needs its own name") {
			d.route(b)
		}
	case "forward_auth":
		if d.unique(b, "forward_auth", "Only one forward_auth block is allowed") {
			d.forwardAuth(b)
		}
	case "auth_cache":
		if d.unique(b, "auth_cache", "Only one auth_cache block is allowed") {
			d.authCache(b)
		}
	case "rate_limit":
		if d.unique(b, "rate_limit", "Only one rate_limit block is allowed") {
			d.rateLimit(b)
		}
	default:
		return false
	}
	return true
}

// route decodes a route block.
func (d *decoder) route(b *hcl.Block) {
	content, diags := b.Body.Content(routeSchema)
	d.diags = append(d.diags, diags...)
	attrs := content.Attributes
	rt := Route{Name: b.Labels[0], DeclRange: b.DefRange}

	d.setStr(attrs["prefix"], &rt.Prefix)
	d.setStr(attrs["host"], &rt.Host)
	d.setDuration(attrs["timeout"], &rt.Timeout)
	if a := attrs["strip_prefix"]; a != nil {
		rt.StripPrefix, _ = d.boolean(a)
	}
	rt.Scopes = d.scopeList(attrs["scopes"])

	if rt.Prefix != "" && !strings.HasPrefix(rt.Prefix, "/") {
		d.errorf(attrs["prefix"].Expr.Range(), "Invalid route prefix", "A prefix is a path starting with /.")
	}
	if rt.Prefix == "" && rt.Host == "" {
		d.errorf(b.DefRange, "Route matches nothing", "Set prefix, host or both.")
	}
	if a := attrs["upstream"]; a != nil {
		rt.Upstream = d.upstream(a)
	}
	d.cfg.Edge.Routes = append(d.cfg.Edge.Routes, rt)
}

// upstream checks an http or https URL with a host.
func (d *decoder) upstream(a *hcl.Attribute) *url.URL {
	s, ok := d.str(a)
	if !ok {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		d.errorf(a.Expr.Range(), "Invalid upstream",
			"An upstream is an http:// or https:// URL with a host and no credentials.")
		return nil
	}
	return u
}

// forwardAuth decodes the forward_auth block.
func (d *decoder) forwardAuth(b *hcl.Block) {
	content, diags := b.Body.Content(forwardSchema)
	d.diags = append(d.diags, diags...)
	attrs := content.Attributes
	fa := &d.cfg.Edge.ForwardAuth

	d.setStr(attrs["user_header"], &fa.UserHeader)
	d.setStr(attrs["role_header"], &fa.RoleHeader)
	d.setStr(attrs["scopes_header"], &fa.ScopesHeader)
	d.setStr(attrs["realm"], &fa.Realm)
	if strings.ContainsAny(fa.Realm, "\"\\\r\n") {
		d.errorf(attrs["realm"].Expr.Range(), "Invalid realm", "A realm has no quotes, backslashes or line breaks.")
	}
	for _, rb := range content.Blocks {
		rc, diags := rb.Body.Content(ruleSchema)
		d.diags = append(d.diags, diags...)
		var r ForwardRule
		d.setStr(rc.Attributes["host"], &r.Host)
		d.setStr(rc.Attributes["path_prefix"], &r.PathPrefix)
		r.Scopes = d.scopeList(rc.Attributes["scopes"])
		fa.Rules = append(fa.Rules, r)
	}
}

// authCache decodes the auth_cache block.
func (d *decoder) authCache(b *hcl.Block) {
	content, diags := b.Body.Content(cacheSchema)
	d.diags = append(d.diags, diags...)
	c := &d.cfg.Edge.AuthCache
	d.setDuration(content.Attributes["positive_ttl"], &c.PositiveTTL)
	d.setDuration(content.Attributes["negative_ttl"], &c.NegativeTTL)
	d.setInt(content.Attributes["max_entries"], 1, &c.MaxEntries)
}

// rateLimit decodes the rate_limit block; 0 turns a limit off.
func (d *decoder) rateLimit(b *hcl.Block) {
	content, diags := b.Body.Content(rateSchema)
	d.diags = append(d.diags, diags...)
	rl := &d.cfg.Edge.RateLimit
	d.setInt(content.Attributes["login_per_minute"], 0, &rl.LoginPerMinute)
	d.setInt(content.Attributes["approve_per_minute"], 0, &rl.ApprovePerMinute)
	d.setInt(content.Attributes["burst"], 1, &rl.Burst)
}

// scopeList decodes a list of known scopes; nil when attr is absent.
func (d *decoder) scopeList(attr *hcl.Attribute) []string {
	if attr == nil {
		return nil
	}
	v, ok := d.value(attr, cty.List(cty.String))
	if !ok {
		return nil
	}
	var out []string
	for _, s := range v.AsValueSlice() {
		if !slices.Contains(AllScopes, s.AsString()) {
			d.errorf(attr.Expr.Range(), "Unknown scope", "The scopes are: %s.", quoteAll(AllScopes))
			continue
		}
		out = append(out, s.AsString())
	}
	return out
}
