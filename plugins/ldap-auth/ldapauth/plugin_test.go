package ldapauth

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/plugin/plugintest"
	"github.com/google/go-cmp/cmp"
)

func TestOverGRPC(t *testing.T) {
	d := startDirectory(t)
	client := plugintest.Connect(t, ServeConfig())

	info, err := client.Info(t.Context())
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.Name != "ldap-auth" || !sensitive(info.Schema, "bind_pass") || !sensitive(info.Schema, "client_tls_key") {
		t.Errorf("Info = %+v, want ldap-auth with bind_pass and client_tls_key sensitive", info)
	}

	c := searchConfig(d)
	c.RequestTimeout = plugin.Duration(2e9)
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Configure(t.Context(), plugin.ProtocolAuth, "ldap", raw); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	auth := client.Auth()

	res := check(t, auth, `star*(paren)\back`, "pw-star")
	want := principal(`star*(paren)\back`, "operator", `uid=star*(paren)\5Cback,ou=people,dc=example,dc=org`,
		"devs", `r&d, "lab" #1`)
	if res.Outcome != plugin.OutcomeSuccess {
		t.Fatalf("Check = %+v, want success", res)
	}
	if diff := cmp.Diff(want, res.Principal); diff != "" {
		t.Errorf("Check principal over gRPC (-want +got):\n%s", diff)
	}

	res = check(t, auth, "admin)(|(uid=*", "pw-admin")
	mustDeny(t, "admin)(|(uid=*", res)

	res, err = auth.Check(t.Context(), &plugin.CheckRequest{Header: map[string][]string{}})
	if err != nil || res.Outcome != plugin.OutcomeNoCredential {
		t.Errorf("Check(no header) = %+v, %v, want no credential", res, err)
	}
}

func TestConfigureRejectsBadConfig(t *testing.T) {
	client := plugintest.Connect(t, ServeConfig())
	raw := []byte(`{"url": ["ldap://x"], "bind_dn": "cn=a", "bind_pass": "hunter2-secret", "user_dn": "o=x", "bogus": 1}`)
	err := client.Configure(t.Context(), plugin.ProtocolAuth, "ldap", raw)
	if !errors.Is(err, plugin.ErrInvalid) {
		t.Fatalf("Configure(unknown field) = %v, want ErrInvalid", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Configure error quotes the bind password: %v", err)
	}
}

func sensitive(s plugin.Schema, name string) bool {
	for _, a := range s.Attributes {
		if a.Name == name {
			return a.Sensitive
		}
	}
	return false
}
