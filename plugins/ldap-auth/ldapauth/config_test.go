package ldapauth

import (
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/go-ldap/ldap/v3"
)

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		want string
	}{
		{"no url", Config{UserDN: "o=x"}, "url"},
		{"bad scheme", Config{URL: []string{"http://x"}, UserDN: "o=x"}, "scheme"},
		{"path in url", Config{URL: []string{"ldap://x/o=x"}, UserDN: "o=x"}, "want ldap"},
		{"starttls on ldaps", Config{URL: []string{"ldaps://x"}, StartTLS: true, UserDN: "o=x"}, "starttls"},
		{"half a service account", Config{URL: []string{"ldap://x"}, BindDN: "cn=a", UserDN: "o=x"}, "set together"},
		{"no way to find users", Config{URL: []string{"ldap://x"}}, "say how users are found"},
		{"upn with service account", Config{URL: []string{"ldap://x"}, BindDN: "cn=a", BindPass: "p",
			UserDN: "o=x", UPNDomain: "x"}, "cannot be combined"},
		{"bad filter template", Config{URL: []string{"ldap://x"}, UserDN: "o=x", UserFilter: "({{.Nope}}=x)"}, "user_filter"},
		{"bad deref", Config{URL: []string{"ldap://x"}, UserDN: "o=x", DereferenceAlias: "sometimes"}, "dereference_aliases"},
		{"bad DN key", Config{URL: []string{"ldap://x"}, UserDN: "o=x", GroupRoles: map[string]string{"cn=a,=b": "user"}}, "group_roles"},
		{"empty role", Config{URL: []string{"ldap://x"}, UserDN: "o=x", GroupRoles: map[string]string{"ops": ""}}, "role is empty"},
		{"bad CA", Config{URL: []string{"ldap://x"}, UserDN: "o=x", Certificate: "nope"}, "certificate"},
		{"half a client cert", Config{URL: []string{"ldap://x"}, UserDN: "o=x", ClientTLSCert: "x"}, "set together"},
		{"bad tls version", Config{URL: []string{"ldap://x"}, UserDN: "o=x", TLSMinVersion: "ssl3"}, "tls_min_version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.c, nil)
			if !errors.Is(err, plugin.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New() = %v, want ErrInvalid mentioning %q", err, tt.want)
			}
		})
	}
}

func TestConfigReportsEveryProblem(t *testing.T) {
	_, err := New(Config{URL: []string{"http://x"}, DereferenceAlias: "x", MaxPageSize: -1}, nil)
	for _, want := range []string{"scheme", "say how users are found", "dereference_aliases", "max_page_size"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New() = %v, want it to mention %q", err, want)
		}
	}
}

func TestEscapeDNValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice", "alice"},
		{`a,b+c"d\e<f>g;h`, `a\,b\+c\"d\\e\<f\>g\;h`},
		{"a=b", `a\3db`},
		{" lead", `\ lead`},
		{"trail ", `trail\ `},
		{"#hash", `\#hash`},
		{"nul\x00x", `nul\00x`},
		{"zoë", "zoë"},
	}
	for _, tt := range tests {
		got := escapeDNValue(tt.in)
		if got != tt.want {
			t.Errorf("escapeDNValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
		// The escaped value must parse back to the original.
		dn, err := ldap.ParseDN("uid=" + got + ",o=x")
		if err != nil || dn.RDNs[0].Attributes[0].Value != tt.in {
			t.Errorf("ParseDN(escapeDNValue(%q)) = %v, %v, want the value back", tt.in, dn, err)
		}
	}
}

func TestUPNName(t *testing.T) {
	tests := []struct {
		login, want string
		ok          bool
	}{
		{"alice", "alice@corp.example", true},
		{"alice@corp.example", "alice@corp.example", true},
		{"alice@CORP.example", "alice@corp.example", true},
		{"alice@other.example", "", false},
		{"@corp.example", "", false},
		{"a@b@corp.example", "", false},
	}
	for _, tt := range tests {
		got, ok := upnName(tt.login, "corp.example")
		if got != tt.want || ok != tt.ok {
			t.Errorf("upnName(%q) = %q, %v, want %q, %v", tt.login, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRoleFor(t *testing.T) {
	s, err := Config{URL: []string{"ldap://x"}, UserDN: "o=x", GroupRoles: map[string]string{
		"ops": "operator", "cn=admins,o=x": "admin", "other": "auditor",
	}}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		groups []group
		want   string
		ok     bool
	}{
		{"none", nil, "", false},
		{"by name, any case", []group{{name: "OPS"}}, "operator", true},
		{"by DN, other spelling", []group{groupFromDN("CN=Admins, O=X")}, "admin", true},
		{"name key does not match a DN-only group", []group{groupFromDN("cn=xops,o=x")}, "", false},
		{"precedence", []group{{name: "ops"}, groupFromDN("cn=admins,o=x")}, "admin", true},
		{"unlisted role ranks last", []group{{name: "other"}, {name: "ops"}}, "operator", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := s.roleFor(tt.groups)
			if got != tt.want || ok != tt.ok {
				t.Errorf("roleFor(%v) = %q, %v, want %q, %v", tt.groups, got, ok, tt.want, tt.ok)
			}
		})
	}
}
