package ldapauth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/go-ldap/ldap/v3"
)

// lease is a connection borrowed from a pool for one login. It is closed
// when ctx ends, and goes back to its pool only when no fault happened.
type lease struct {
	c    *ldap.Conn
	pool chan *ldap.Conn
	stop func() bool
}

// borrow returns an idle connection of pool or dials a new one; a new
// search connection binds as the service account first.
func (a *Auth) borrow(ctx context.Context, sv *server, pool chan *ldap.Conn) (*lease, error) {
	c := take(pool)
	fresh := c == nil
	if fresh {
		var err error
		if c, err = a.dialer.dial(ctx, sv.url); err != nil {
			return nil, err
		}
	}
	l := &lease{c: c, pool: pool}
	l.stop = context.AfterFunc(ctx, func() { c.Close() })

	if fresh && pool == sv.search && a.s.BindDN != "" {
		if err := c.Bind(a.s.BindDN, a.s.BindPass); err != nil {
			l.stop()
			c.Close()
			return nil, fmt.Errorf("service bind as %q: %w", a.s.BindDN, serviceBindError(err))
		}
	}
	return l, nil
}

// serviceBindError turns a rejected service bind into a server fault.
func serviceBindError(err error) error {
	if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
		return errors.New("invalid credentials for the service account")
	}
	return err
}

// release returns the connection to its pool unless *fault is set.
func (l *lease) release(fault *error) {
	if !l.stop() || *fault != nil {
		l.c.Close()
		return
	}
	put(l.pool, l.c)
}

// searchThenBind finds the user's entry with the search connection, then
// binds as it on a bind connection.
func (a *Auth) searchThenBind(ctx context.Context, sv *server, login, password string) (p plugin.Principal, denial string, fault error) {
	sl, fault := a.borrow(ctx, sv, sv.search)
	if fault != nil {
		return p, "", fault
	}
	defer sl.release(&fault)

	filter, fault := render(a.s.userFilter, filterData(a.s.UserAttr, login, ""))
	if fault != nil {
		return p, "", fault
	}
	entries, fault := a.findUser(sl.c, a.s.UserDN, ldap.ScopeWholeSubtree, filter)
	if fault != nil {
		return p, "", fault
	}

	bl, fault := a.borrow(ctx, sv, sv.bind)
	if fault != nil {
		return p, "", fault
	}
	defer bl.release(&fault)
	if len(entries) != 1 {
		// Equal cost: an unknown user costs a bind like a known one. A
		// broken connection is a fault here as it would be there.
		if _, fault = a.bindAs(bl.c, a.dummyDN, password); fault != nil {
			return p, "", fault
		}
		return p, entryCount(len(entries)), nil
	}
	return a.bindAndRead(sl.c, bl.c, entries[0], login, password)
}

// found is the outcome of reading a user's groups.
type found struct {
	p      plugin.Principal
	denial string
	fault  error
}

// bindAndRead checks the password on the bind connection while the
// search connection reads the user's groups: the group search does not
// depend on the password, so a login waits for two round trips to the
// directory instead of three. The groups are dropped unless the bind
// succeeds, and a wrong password still costs exactly one bind.
func (a *Auth) bindAndRead(search, bind *ldap.Conn, entry *ldap.Entry, login, password string) (plugin.Principal, string, error) {
	groups := make(chan found, 1)
	go func() {
		var f found
		f.p, f.denial, f.fault = a.principal(search, entry, login)
		if f.fault != nil {
			// Keep a failed connection out of the pool even when the
			// bind's denial is what the caller hears.
			search.Close()
		}
		groups <- f
	}()
	denial, fault := a.bindAs(bind, entry.DN, password)
	f := <-groups
	if denial != "" || fault != nil {
		return plugin.Principal{}, denial, fault
	}
	return f.p, f.denial, f.fault
}

// bindThenRead binds with a name built from the login (direct or UPN),
// then reads the user's entry as the user.
func (a *Auth) bindThenRead(ctx context.Context, sv *server, login, password string) (p plugin.Principal, denial string, fault error) {
	name, base, scope, filter, denial := a.bindName(login)
	if denial != "" {
		return p, denial, nil
	}
	bl, fault := a.borrow(ctx, sv, sv.bind)
	if fault != nil {
		return p, "", fault
	}
	defer bl.release(&fault)

	if denial, fault = a.bindAs(bl.c, name, password); denial != "" || fault != nil {
		return p, denial, fault
	}
	entries, fault := a.findUser(bl.c, base, scope, filter)
	if fault != nil {
		return p, "", fault
	}
	if len(entries) != 1 {
		return p, "bound, but " + entryCount(len(entries)), nil
	}
	if a.s.mode == modeUPN {
		login, _, _ = strings.Cut(login, "@")
	}
	return a.principal(bl.c, entries[0], login)
}

// bindName returns the bind name for login and where its entry is read
// from in direct and UPN modes.
func (a *Auth) bindName(login string) (name, base string, scope int, filter, denial string) {
	if a.s.mode == modeUPN {
		upn, ok := upnName(login, a.s.UPNDomain)
		if !ok {
			return "", "", 0, "", "login names another domain than upn_domain"
		}
		return upn, a.s.UserDN, ldap.ScopeWholeSubtree, "(userPrincipalName=" + ldap.EscapeFilter(upn) + ")", ""
	}
	dn := a.s.UserAttr + "=" + escapeDNValue(login) + "," + a.s.UserDN
	if a.s.dnTemplate != nil {
		var err error
		dn, err = render(a.s.dnTemplate, templateData{UserAttr: a.s.UserAttr, Username: escapeDNValue(login)})
		if err != nil {
			return "", "", 0, "", "user_dn_template: " + err.Error()
		}
	}
	return dn, dn, ldap.ScopeBaseObject, "(objectClass=*)", ""
}

func entryCount(n int) string {
	if n == 0 {
		return "unknown user"
	}
	return fmt.Sprintf("login matches %d or more entries", n)
}

// bindAs binds c as name. A rejected password is a denial, with the
// cause the server gave; anything else is a fault.
func (a *Auth) bindAs(c *ldap.Conn, name, password string) (denial string, fault error) {
	res, err := c.SimpleBind(&ldap.SimpleBindRequest{
		Username: name,
		Password: password,
		Controls: []ldap.Control{ldap.NewControlBeheraPasswordPolicy()},
	})
	if err == nil {
		return "", nil
	}
	switch {
	case ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials):
		return bindDenial(res, err), nil
	case ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidDNSyntax):
		// The server cannot parse the bind name, e.g. a UPN sent to a
		// directory that only knows DNs: a definite no, not a fault.
		return "the directory refused the bind name as invalid", nil
	}
	return "", fmt.Errorf("bind: %w", err)
}

// bindDenial explains a rejected bind from the password policy control
// (OpenLDAP) or the diagnostic message (Active Directory).
func bindDenial(res *ldap.SimpleBindResult, err error) string {
	if res != nil {
		for _, c := range res.Controls {
			if pp, ok := c.(*ldap.ControlBeheraPasswordPolicy); ok && pp.Error >= 0 {
				return "password policy: " + pp.ErrorString
			}
		}
	}
	msg := err.Error()
	for code, why := range adReasons {
		if strings.Contains(msg, "data "+code) {
			return why
		}
	}
	return "invalid credentials (wrong password, or no such user)"
}

// adReasons maps Active Directory's sub-codes of a rejected bind.
var adReasons = map[string]string{
	"525": "unknown user",
	"52e": "wrong password",
	"530": "logon not permitted at this time",
	"531": "logon not permitted from this workstation",
	"532": "password expired",
	"533": "account disabled",
	"701": "account expired",
	"773": "password must be reset",
	"775": "account locked",
}

// findUser searches for the user's entry; the size limit of 2 is enough
// to tell one entry from several.
func (a *Auth) findUser(c *ldap.Conn, base string, scope int, filter string) ([]*ldap.Entry, error) {
	attrs := []string{a.s.UserAttr}
	if a.s.UserGroupAttr != "" {
		attrs = append(attrs, a.s.UserGroupAttr)
	}
	req := ldap.NewSearchRequest(base, scope, a.s.deref, 2, a.timeLimit(), false, filter, attrs, nil)
	res, err := c.Search(req)
	if ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) && res != nil {
		return res.Entries, nil
	}
	if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) && scope == ldap.ScopeBaseObject {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", base, err)
	}
	return res.Entries, nil
}

// timeLimit is the server-side time limit of a search, in seconds.
func (a *Auth) timeLimit() int {
	return int((time.Duration(a.s.RequestTimeout) + time.Second - 1) / time.Second)
}

// isTimeout reports whether err is a timeout rather than a broken
// connection.
func isTimeout(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "timed out")
}
