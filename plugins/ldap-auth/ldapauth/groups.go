package ldapauth

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/go-ldap/ldap/v3"
)

// group is one group of a user: its DN when known and its name.
type group struct {
	dn   *ldap.DN
	name string
}

// principal builds the principal of an authenticated entry: it reads the
// groups over c, maps them to a role and normalises the names. A user
// whose groups map to no role, with no default_role, is denied.
func (a *Auth) principal(c *ldap.Conn, e *ldap.Entry, login string) (plugin.Principal, string, error) {
	user := canonicalLogin(e, a.s.UserAttr, login)
	groups, err := a.groups(c, e, user)
	if err != nil {
		return plugin.Principal{}, "", err
	}
	role, ok := a.s.roleFor(groups)
	if !ok {
		return plugin.Principal{}, "no group maps to a role and default_role is not set", nil
	}

	sorted := make([]string, 0, len(groups))
	for _, g := range groups {
		sorted = append(sorted, a.s.normalise(g.name))
	}
	slices.Sort(sorted)
	names := make([]any, 0, len(sorted))
	for _, n := range sorted {
		names = append(names, n)
	}
	return plugin.Principal{
		UserID: a.s.normalise(user),
		Role:   role,
		Metadata: map[string]any{
			"dn":     e.DN,
			"groups": names,
			"auth":   "ldap",
		},
	}, "", nil
}

// groups collects the user's groups from the user entry's
// user_group_attr and from the group search, without duplicates.
func (a *Auth) groups(c *ldap.Conn, e *ldap.Entry, user string) ([]group, error) {
	var out []group
	if a.s.UserGroupAttr != "" {
		for _, v := range e.GetEqualFoldAttributeValues(a.s.UserGroupAttr) {
			out = addGroup(out, groupFromDN(v))
		}
	}
	if a.s.GroupDN != "" {
		found, err := a.searchGroups(c, e.DN, user)
		if err != nil {
			return nil, err
		}
		for _, g := range found {
			out = addGroup(out, g)
		}
	}
	return out, nil
}

func (a *Auth) searchGroups(c *ldap.Conn, userDN, user string) ([]group, error) {
	filter, err := render(a.s.groupFilter, filterData(a.s.UserAttr, user, userDN))
	if err != nil {
		return nil, err
	}
	req := ldap.NewSearchRequest(a.s.GroupDN, ldap.ScopeWholeSubtree, a.s.deref,
		0, a.timeLimit(), false, filter, []string{a.s.GroupAttr}, nil)
	var res *ldap.SearchResult
	if a.s.MaxPageSize > 0 {
		res, err = c.SearchWithPaging(req, uint32(a.s.MaxPageSize))
	} else {
		res, err = c.Search(req)
	}
	if err != nil {
		return nil, fmt.Errorf("search groups in %q: %w", a.s.GroupDN, err)
	}

	out := make([]group, 0, len(res.Entries))
	for _, ge := range res.Entries {
		g := groupFromDN(ge.DN)
		if name := ge.GetEqualFoldAttributeValue(a.s.GroupAttr); name != "" {
			g.name = name
		}
		out = append(out, g)
	}
	return out, nil
}

// groupFromDN names a group by the value of its DN's first RDN. A value
// that is not a DN is taken as the name itself.
func groupFromDN(v string) group {
	dn, err := ldap.ParseDN(v)
	if err != nil || len(dn.RDNs) == 0 || len(dn.RDNs[0].Attributes) == 0 {
		return group{name: v}
	}
	return group{dn: dn, name: dn.RDNs[0].Attributes[0].Value}
}

// addGroup appends g unless a group with the same DN is already listed.
func addGroup(gs []group, g group) []group {
	for _, have := range gs {
		if g.dn != nil && have.dn != nil && have.dn.EqualFold(g.dn) {
			return gs
		}
		if g.dn == nil && have.dn == nil && have.name == g.name {
			return gs
		}
	}
	return append(gs, g)
}

// roleFor maps groups to a role: every group_roles key that matches one
// of them yields a role, and role_precedence picks among them. Without a
// match it returns default_role, and false when that is empty.
func (s *settings) roleFor(groups []group) (string, bool) {
	var roles []string
	for _, g := range groups {
		for _, k := range s.roleKeys {
			if s.matches(k, g) && !slices.Contains(roles, k.role) {
				roles = append(roles, k.role)
			}
		}
	}
	if len(roles) == 0 {
		return s.DefaultRole, s.DefaultRole != ""
	}
	slices.SortFunc(roles, func(x, y string) int {
		if d := s.rank(x) - s.rank(y); d != 0 {
			return d
		}
		return strings.Compare(x, y)
	})
	return roles[0], true
}

// matches compares a group_roles key with a group: a DN key with the
// group's DN, a name key with its name, both per case_sensitive_names.
func (s *settings) matches(k roleKey, g group) bool {
	switch {
	case k.dn != nil && g.dn != nil && s.CaseSensitive:
		return k.dn.Equal(g.dn)
	case k.dn != nil && g.dn != nil:
		return k.dn.EqualFold(g.dn)
	case k.dn != nil:
		return false
	case s.CaseSensitive:
		return k.name == g.name
	}
	return strings.EqualFold(k.name, g.name)
}

// rank is the position of role in role_precedence; unlisted roles rank
// after every listed one.
func (s *settings) rank(role string) int {
	if i := slices.Index(s.RolePrecedence, role); i >= 0 {
		return i
	}
	return len(s.RolePrecedence)
}
