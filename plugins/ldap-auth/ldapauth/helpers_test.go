package ldapauth

import (
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/hashicorp/go-hclog"
)

// Names of the seed directory in testdata/seed.ldif.
const (
	serviceDN   = "cn=gatehouse,ou=service,dc=example,dc=org"
	servicePass = "pw-service"
	peopleDN    = "ou=people,dc=example,dc=org"
	groupsDN    = "ou=groups,dc=example,dc=org"
	// labDN is the group `R&D, "Lab" #1`, spelled with hex escapes that
	// differ from the seed file's spelling on purpose.
	labDN = `cn=R&D\2C \22Lab\22 #1,ou=groups,dc=example,dc=org`
)

// startDirectory starts a slapd seeded with testdata/seed.ldif.
func startDirectory(t testing.TB) *testenv.Slapd {
	t.Helper()
	return testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: "../testdata/seed.ldif"})
}

// roles is the group mapping most tests use.
func roles() map[string]string {
	return map[string]string{
		"ops":    "operator",
		"admins": "admin",
		"devs":   "user",
		"legacy": "user",
		labDN:    "operator",
	}
}

// searchConfig is a search-then-bind config against d.
func searchConfig(d *testenv.Slapd) Config {
	return Config{
		URL:        []string{d.URL},
		BindDN:     serviceDN,
		BindPass:   servicePass,
		UserDN:     peopleDN,
		GroupDN:    groupsDN,
		GroupRoles: roles(),
	}
}

// syncBuffer captures log output; see testenv.SyncBuffer.
type syncBuffer = testenv.SyncBuffer

// newAuth builds an Auth from c with its log captured, and closes it at
// the end of the test.
func newAuth(t *testing.T, c Config) (*Auth, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	log := hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Trace, JSONFormat: true})
	a, err := New(c, log)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a, logs
}

// basicRequest is a request carrying login and password as Basic.
func basicRequest(login, password string) *plugin.CheckRequest {
	h := http.Header{}
	cred := base64.StdEncoding.EncodeToString([]byte(login + ":" + password))
	h.Set("Authorization", "Basic "+cred)
	return &plugin.CheckRequest{Method: "POST", Path: "/v1/login", Header: h}
}

// check runs a.Check for login and password and fails on an error.
func check(t *testing.T, a plugin.Auth, login, password string) plugin.CheckResult {
	t.Helper()
	res, err := a.Check(t.Context(), basicRequest(login, password))
	if err != nil {
		t.Fatalf("Check(%q) error: %v", login, err)
	}
	return res
}

// mustDeny fails unless res is a failure without a principal.
func mustDeny(t *testing.T, login string, res plugin.CheckResult) {
	t.Helper()
	if res.Outcome != plugin.OutcomeFailure || res.Principal.UserID != "" || res.Principal.Role != "" {
		t.Fatalf("Check(%q) = %+v, want a failure without principal", login, res)
	}
}
