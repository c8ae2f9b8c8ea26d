package bench

import (
	"context"
	_ "embed"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/go-ldap/ldap/v3"
)

//go:embed testdata/directory.ldif
var directoryLDIF []byte

// The directory of the LDAP measurement.
const (
	serviceDN   = "cn=gatehouse,ou=service,dc=example,dc=org"
	servicePass = "pw-service"
	peopleDN    = "ou=people,dc=example,dc=org"
	groupsDN    = "ou=groups,dc=example,dc=org"
	userPass    = "pw-alice"
)

// ldapClients are the client counts of the LDAP measurement; ldap-auth
// keeps four connections per pool by default.
var ldapClients = []int{1, 4}

// BenchmarkLDAP compares a login through ldap-auth (search as the
// service account, bind as the user, search the user's groups) with the
// same three operations done directly with go-ldap against the same
// slapd, on connections kept open the way ldap-auth pools them.
func BenchmarkLDAP(b *testing.B) {
	ldif := filepath.Join(b.TempDir(), "directory.ldif")
	if err := os.WriteFile(ldif, directoryLDIF, 0o600); err != nil {
		b.Fatal(err)
	}
	d := testenv.StartSlapd(b, testenv.SlapdOptions{LDIF: ldif})
	set := startSet(b, ldapAuthBlock(d.URL), sqliteBlocks(filepath.Join(b.TempDir(), "l.db")))
	req := checkRequest("Basic " + base64.StdEncoding.EncodeToString([]byte("alice:"+userPass)))

	for _, c := range ldapClients {
		b.Run(fmt.Sprintf("login/c=%d", c), func(b *testing.B) {
			pair(b, row{section: sectionLDAP, name: "LDAP login: ldap-auth vs direct search and bind", clients: c,
				target: ratioAtMost(1.2)}, checkWork(set.AuthChain()[0], req), directLogin(b, d.URL))
		})
	}
}

// ldapAuthBlock declares ldap-auth in search-then-bind mode with a group
// search, the directory's usual setup.
func ldapAuthBlock(url string) string {
	return fmt.Sprintf(`
auth "ldap" {
  plugin = "ldap-auth"%s
  config {
    url         = [%q]
    bind_dn     = %q
    bind_pass   = %q
    user_dn     = %q
    group_dn    = %q
    group_roles = { ops = "operator" }
  }
}
`, profileEnv("ldap-auth"), url, serviceDN, servicePass, peopleDN, groupsDN)
}

// ldapConns is one client's pair of connections: one bound as the
// service account for searches, one rebound as each user.
type ldapConns struct {
	search, bind *ldap.Conn
}

// directLogin does what ldap-auth does with go-ldap alone. Each client
// takes a pair of open connections from a pool.
func directLogin(b *testing.B, url string) workload {
	pool := make(chan *ldapConns, 64)
	var mu sync.Mutex
	var all []*ldapConns
	b.Cleanup(func() {
		for _, c := range all {
			c.search.Close()
			c.bind.Close()
		}
	})
	return workload{
		op: func(ctx context.Context, _ int) error {
			var c *ldapConns
			select {
			case c = <-pool:
			default:
				var err error
				if c, err = dialConns(url); err != nil {
					return err
				}
				mu.Lock()
				all = append(all, c)
				mu.Unlock()
			}
			defer func() { pool <- c }()
			return c.login("alice", userPass)
		},
	}
}

func dialConns(url string) (*ldapConns, error) {
	s, err := ldap.DialURL(url)
	if err != nil {
		return nil, err
	}
	if err := s.Bind(serviceDN, servicePass); err != nil {
		s.Close()
		return nil, fmt.Errorf("service bind: %w", err)
	}
	bc, err := ldap.DialURL(url)
	if err != nil {
		s.Close()
		return nil, err
	}
	return &ldapConns{search: s, bind: bc}, nil
}

// login searches the user, binds as it and searches its groups.
func (c *ldapConns) login(user, password string) error {
	res, err := c.search.Search(ldap.NewSearchRequest(peopleDN, ldap.ScopeWholeSubtree,
		ldap.NeverDerefAliases, 2, 0, false, "(uid="+ldap.EscapeFilter(user)+")",
		[]string{"uid"}, nil))
	if err != nil {
		return fmt.Errorf("search %s: %w", user, err)
	}
	if len(res.Entries) != 1 {
		return fmt.Errorf("search %s: %d entries", user, len(res.Entries))
	}
	dn := res.Entries[0].DN
	if err := c.bind.Bind(dn, password); err != nil {
		return fmt.Errorf("bind %s: %w", dn, err)
	}
	filter := "(|(memberUid=" + ldap.EscapeFilter(user) + ")(member=" + ldap.EscapeFilter(dn) +
		")(uniqueMember=" + ldap.EscapeFilter(dn) + "))"
	groups, err := c.search.Search(ldap.NewSearchRequest(groupsDN, ldap.ScopeWholeSubtree,
		ldap.NeverDerefAliases, 0, 0, false, filter, []string{"cn"}, nil))
	if err != nil {
		return fmt.Errorf("groups of %s: %w", user, err)
	}
	if len(groups.Entries) == 0 {
		return fmt.Errorf("%s is in no group", user)
	}
	return nil
}
