package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
)

// edgeBase is the smallest config that serves, for the edge tests.
const edgeBase = `
auth "tokens" { plugin = "token-auth" }
pairing "db" { plugin = "sqlite" }
session "db" { plugin = "sqlite" }
`

func TestEdgeBlocks(t *testing.T) {
	src := edgeBase + `
route "api" {
  prefix       = "/api"
  upstream     = "http://127.0.0.1:9000/base"
  scopes       = ["pairing.read"]
  timeout      = "5s"
  strip_prefix = true
}
route "app" {
  host     = "app.example"
  upstream = "https://10.0.0.2"
}
forward_auth {
  user_header = "Remote-User"
  realm       = "Gatehouse"
  rule {
    path_prefix = "/admin"
    scopes      = ["admin"]
  }
}
auth_cache {
  positive_ttl = "30s"
  negative_ttl = "5s"
  max_entries  = 500
}
rate_limit {
  login_per_minute   = 3
  approve_per_minute = 0
  burst              = 2
}
`
	c, diags := Parse([]byte(src), "edge.hcl")
	if diags.HasErrors() {
		t.Fatalf("Parse() diagnostics: %v", diags)
	}
	e := c.Edge
	if len(e.Routes) != 2 || e.Routes[0].Upstream.String() != "http://127.0.0.1:9000/base" ||
		!e.Routes[0].StripPrefix || e.Routes[0].Timeout != 5*time.Second || e.Routes[1].Host != "app.example" {
		t.Errorf("routes = %+v", e.Routes)
	}
	want := Edge{
		ForwardAuth: ForwardAuth{UserHeader: "Remote-User", Realm: "Gatehouse",
			Rules: []ForwardRule{{PathPrefix: "/admin", Scopes: []string{"admin"}}}},
		AuthCache: AuthCache{PositiveTTL: 30 * time.Second, NegativeTTL: 5 * time.Second, MaxEntries: 500},
		RateLimit: RateLimit{LoginPerMinute: 3, ApprovePerMinute: 0, Burst: 2},
	}
	if diff := cmp.Diff(want, e, cmpopts.IgnoreFields(Edge{}, "Routes")); diff != "" {
		t.Errorf("edge (-want +got):\n%s", diff)
	}
}

func TestEdgeDefaults(t *testing.T) {
	c, diags := Parse([]byte(edgeBase), "edge.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if c.Edge.AuthCache != (AuthCache{}) {
		t.Errorf("auth cache = %+v, want off", c.Edge.AuthCache)
	}
	if c.Edge.RateLimit.LoginPerMinute != DefaultLoginPerMinute {
		t.Errorf("login limit = %d, want %d", c.Edge.RateLimit.LoginPerMinute, DefaultLoginPerMinute)
	}
}

func TestEdgeErrors(t *testing.T) {
	tests := []struct {
		name, src, summary string
	}{
		{"bad upstream", `route "a" {; prefix = "/a"; upstream = "ftp://x" ; }`, "Invalid upstream"},
		{"upstream with credentials", `route "a" {; prefix = "/a"; upstream = "http://u:p@x" ; }`, "Invalid upstream"},
		{"matches nothing", `route "a" {; upstream = "http://x" ; }`, "Route matches nothing"},
		{"relative prefix", `route "a" {; prefix = "a"; upstream = "http://x" ; }`, "Invalid route prefix"},
		{"unknown scope", `route "a" {; prefix = "/a"; upstream = "http://x"; scopes = ["root"] ; }`, "Unknown scope"},
		{"duplicate route", `route "a" {; prefix = "/a"; upstream = "http://x" ; }` + "\n" + `route "a" {; prefix = "/b"; upstream = "http://x" ; }`, "Duplicate route block"},
		{"bad ttl", `auth_cache { positive_ttl = "soon" }`, "Invalid duration"},
		{"quoted realm", `forward_auth { realm = "a\"b" }`, "Invalid realm"},
		{"unknown attribute", `rate_limit { per_hour = 3 }`, "Unsupported argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.ReplaceAll(strings.ReplaceAll(tt.src, "; ", "\n"), "{;", "{")
			_, diags := Parse([]byte(edgeBase+src), "edge.hcl")
			if !hasSummary(diags, tt.summary) {
				t.Errorf("Parse(%s) diagnostics = %v, want %q", tt.name, diags, tt.summary)
			}
		})
	}
}

func hasSummary(diags hcl.Diagnostics, summary string) bool {
	for _, d := range diags {
		if d.Severity == hcl.DiagError && strings.Contains(d.Summary, summary) {
			return true
		}
	}
	return false
}
