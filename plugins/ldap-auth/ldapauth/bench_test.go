package ldapauth

import (
	"testing"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/go-ldap/ldap/v3"
)

// BenchmarkLogin compares a login through Auth.Check with the same
// search-and-bind done directly with go-ldap on two open connections,
// side by side in one run.
func BenchmarkLogin(b *testing.B) {
	d := startDirectory(b)
	a, err := New(searchConfig(d), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	req := basicRequest("alice", "pw-alice")

	b.Run("plugin", func(b *testing.B) {
		for b.Loop() {
			res, err := a.Check(b.Context(), req)
			if err != nil || res.Outcome != plugin.OutcomeSuccess {
				b.Fatalf("Check = %+v, %v", res, err)
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		search, bind := benchDial(b, d.URL), benchDial(b, d.URL)
		if err := search.Bind(serviceDN, servicePass); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			res, err := search.Search(ldap.NewSearchRequest(peopleDN, ldap.ScopeWholeSubtree,
				ldap.NeverDerefAliases, 2, 0, false, "(uid=alice)", []string{"uid"}, nil))
			if err != nil || len(res.Entries) != 1 {
				b.Fatalf("search: %v", err)
			}
			if err := bind.Bind(res.Entries[0].DN, "pw-alice"); err != nil {
				b.Fatal(err)
			}
			_, err = search.Search(ldap.NewSearchRequest(groupsDN, ldap.ScopeWholeSubtree,
				ldap.NeverDerefAliases, 0, 0, false, "(member="+ldap.EscapeFilter(res.Entries[0].DN)+")",
				[]string{"cn"}, nil))
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func benchDial(b *testing.B, url string) *ldap.Conn {
	b.Helper()
	c, err := ldap.DialURL(url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}
