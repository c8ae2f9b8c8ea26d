package ldapauth

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/google/go-cmp/cmp"
)

func principal(user, role, dn string, groups ...any) plugin.Principal {
	if groups == nil {
		groups = []any{}
	}
	return plugin.Principal{UserID: user, Role: role, Metadata: map[string]any{
		"dn": dn, "groups": groups, "auth": "ldap",
	}}
}

func TestSearchThenBind(t *testing.T) {
	d := startDirectory(t)
	a, _ := newAuth(t, searchConfig(d))

	tests := []struct {
		name, login, password string
		want                  plugin.Principal
	}{
		{"two groups, strongest role", "alice", "pw-alice",
			principal("alice", "operator", "uid=alice,ou=people,dc=example,dc=org", "devs", "ops")},
		{"mixed case and memberUid", "bob.MIXED", "pw-bob",
			principal("bob.mixed", "user", "uid=Bob.Mixed,ou=people,dc=example,dc=org", "legacy")},
		{"filter metacharacters", `star*(paren)\back`, "pw-star",
			principal(`star*(paren)\back`, "operator", `uid=star*(paren)\5Cback,ou=people,dc=example,dc=org`,
				"devs", `r&d, "lab" #1`)},
		{"comma and quotes", `o'neil, "jr"`, "pw-oneil",
			principal(`o'neil, "jr"`, "operator", `uid=o'neil\2C \22jr\22,ou=people,dc=example,dc=org`,
				`r&d, "lab" #1`)},
		{"non-ASCII in another case", "ZOË.ÜNAL", "pw-zoe",
			principal("zoë.ünal", "operator", "uid=zoë.ünal,ou=people,dc=example,dc=org", `r&d, "lab" #1`)},
		{"admin", "admin", "pw-admin",
			principal("admin", "admin", "uid=admin,ou=people,dc=example,dc=org", "admins")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := check(t, a, tt.login, tt.password)
			if res.Outcome != plugin.OutcomeSuccess {
				t.Fatalf("Check(%q) = %+v, want success", tt.login, res)
			}
			if diff := cmp.Diff(tt.want, res.Principal); diff != "" {
				t.Errorf("Check(%q) principal (-want +got):\n%s", tt.login, diff)
			}
		})
	}
}

func TestRoleMapping(t *testing.T) {
	d := startDirectory(t)

	tests := []struct {
		name     string
		edit     func(*Config)
		login    string
		password string
		wantRole string // empty: denied
		wantWhy  string
	}{
		{"no group, no default", func(*Config) {}, "carol", "pw-carol", "", "no group maps"},
		{"no group, default role", func(c *Config) { c.DefaultRole = "user" }, "carol", "pw-carol", "user", ""},
		{"case sensitive names miss", func(c *Config) { c.CaseSensitive = true }, "Bob.Mixed", "pw-bob", "", "no group maps"},
		{"precedence reversed", func(c *Config) { c.RolePrecedence = []string{"user", "operator"} },
			"alice", "pw-alice", "user", ""},
		{"groups from memberOf", func(c *Config) { c.GroupDN, c.UserGroupAttr = "", "memberOf" },
			"alice", "pw-alice", "operator", ""},
		{"paged group search", func(c *Config) { c.MaxPageSize = 1 }, "alice", "pw-alice", "operator", ""},
		{"DN key, exact case", func(c *Config) {
			c.CaseSensitive = true
			c.GroupRoles = map[string]string{labDN: "admin"}
		}, "zoë.ünal", "pw-zoe", "admin", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := searchConfig(d)
			tt.edit(&c)
			a, _ := newAuth(t, c)
			res := check(t, a, tt.login, tt.password)
			if tt.wantRole == "" {
				mustDeny(t, tt.login, res)
				if !strings.Contains(res.Reason, tt.wantWhy) {
					t.Errorf("Check(%q) reason = %q, want it to contain %q", tt.login, res.Reason, tt.wantWhy)
				}
				return
			}
			if res.Outcome != plugin.OutcomeSuccess || res.Principal.Role != tt.wantRole {
				t.Errorf("Check(%q) = %+v, want role %q", tt.login, res, tt.wantRole)
			}
		})
	}
}

func TestDirectBind(t *testing.T) {
	d := startDirectory(t)
	base := Config{URL: []string{d.URL}, UserDN: peopleDN, GroupDN: groupsDN, GroupRoles: roles(), DefaultRole: "user"}
	contractors := base
	contractors.UserDN = ""
	contractors.UserDNTemplate = "uid={{.Username}},ou=contractors,ou=people,dc=example,dc=org"

	tests := []struct {
		name            string
		c               Config
		login, password string
		wantUser        string // empty: denied
	}{
		{"plain", base, "alice", "pw-alice", "alice"},
		{"backslash and metacharacters", base, `star*(paren)\back`, "pw-star", `star*(paren)\back`},
		{"comma and quotes", base, `o'neil, "jr"`, "pw-oneil", `o'neil, "jr"`},
		{"non-ASCII", base, "zoë.ünal", "pw-zoe", "zoë.ünal"},
		{"template", contractors, "twin", "pw-twin", "twin"},
		{"wrong password", base, "alice", "pw-bob", ""},
		{"unknown user", base, "nobody", "pw-alice", ""},
		{"DN injection", base, "alice,ou=people,dc=example,dc=org", "pw-alice", ""},
		{"RDN injection", base, "x+uid=alice", "pw-alice", ""},
		{"locked", base, "locked", "pw-locked", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := newAuth(t, tt.c)
			res := check(t, a, tt.login, tt.password)
			if tt.wantUser == "" {
				mustDeny(t, tt.login, res)
				return
			}
			if res.Outcome != plugin.OutcomeSuccess || res.Principal.UserID != tt.wantUser {
				t.Errorf("Check(%q) = %+v, want user %q", tt.login, res, tt.wantUser)
			}
		})
	}
}

func TestUPNBind(t *testing.T) {
	d := startDirectory(t)
	a, _ := newAuth(t, Config{URL: []string{d.URL}, UPNDomain: "example.org", UserDN: peopleDN, DefaultRole: "user"})

	// slapd has no UPN binds: a real directory refuses the name, and the
	// plugin must fail closed.
	res := check(t, a, "alice", "pw-alice")
	mustDeny(t, "alice", res)
	if !strings.Contains(res.Reason, "bind name") {
		t.Errorf("Check(alice) reason = %q, want the refused bind name", res.Reason)
	}

	res = check(t, a, "alice@elsewhere.example", "pw-alice")
	mustDeny(t, "alice@elsewhere.example", res)
	if !strings.Contains(res.Reason, "another domain") {
		t.Errorf("Check(other domain) reason = %q, want it to name the domain", res.Reason)
	}
}
