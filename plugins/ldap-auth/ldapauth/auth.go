// Package ldapauth is the ldap-auth plugin: people log in with directory
// accounts over HTTP Basic, and directory groups decide their role.
//
// A login is checked in one of three modes: search-then-bind (a service
// account, or an anonymous search with discover_dn, finds exactly one
// entry, then the user binds as its DN), direct bind (the DN is built
// from a template) and UPN bind (user@upn_domain, Active Directory).
//
// Safety: every value placed into a filter is escaped for RFC 4515 and
// every value placed into a DN for RFC 4514; a search that finds no entry
// or several fails; an empty or blank password is refused before any
// network call. Wrong password, unknown user and locked account give the
// same CheckResult apart from Reason, which only the host log sees. An
// unknown user still costs one bind: the password is bound against a DN
// that does not exist, so that the search-then-bind path does the same
// network work for every login. The time the server spends on a real
// password hash is not equalised.
package ldapauth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/hashicorp/go-hclog"
)

// Auth checks HTTP Basic credentials against a directory. It is safe for
// concurrent use.
type Auth struct {
	s       *settings
	log     hclog.Logger
	dialer  *dialer
	servers []*server
	// dummyDN names no entry; unknown users bind against it.
	dummyDN string
	now     func() time.Time
}

var (
	_ plugin.Auth = (*Auth)(nil)
	_ io.Closer   = (*Auth)(nil)
)

// Open builds an Auth from the JSON form of its config block, logging to
// plugin.Logger. It is the constructor for plugin.ServeConfig.Auth.
func Open(_ context.Context, raw json.RawMessage) (plugin.Auth, error) {
	var c Config
	if err := plugin.DecodeConfig(raw, &c); err != nil {
		return nil, err
	}
	return New(c, plugin.Logger())
}

// ServeConfig returns the plugin.ServeConfig of the ldap-auth binary.
func ServeConfig() plugin.ServeConfig {
	return plugin.ServeConfig{Name: Name, Version: Version, Schema: Schema(), Auth: Open}
}

// New checks c and returns an Auth. It does not connect: servers are
// reached on the first login, so a directory that is down at start only
// fails logins. A nil log discards messages.
func New(c Config, log hclog.Logger) (*Auth, error) {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	s, err := c.resolve()
	if err != nil {
		return nil, err
	}
	tc, err := s.tlsConfig()
	if err != nil {
		return nil, fmt.Errorf("ldap-auth config: %v: %w", err, plugin.ErrInvalid)
	}
	a := &Auth{
		s:   s,
		log: log,
		dialer: &dialer{
			tls:            tc,
			startTLS:       s.StartTLS,
			connectTimeout: time.Duration(s.ConnectionTimeout),
			requestTimeout: time.Duration(s.RequestTimeout),
		},
		dummyDN: dummyDN(s),
		now:     time.Now,
	}
	for _, u := range s.urls {
		a.servers = append(a.servers, newServer(u, s.PoolSize))
	}
	if s.InsecureTLS {
		log.Warn("insecure_tls is set: directory certificates are not verified")
	}
	log.Info("ldap-auth configured", "mode", s.mode.String(), "servers", len(s.urls))
	return a, nil
}

// dummyDN returns a DN under the user base that no entry has.
func dummyDN(s *settings) string {
	b := make([]byte, 12)
	rand.Read(b)
	base := s.UserDN
	if base == "" {
		base = "dc=invalid"
	}
	return s.UserAttr + "=gatehouse-no-such-user-" + hex.EncodeToString(b) + "," + base
}

// Close closes every idle connection. It may be called more than once.
func (a *Auth) Close() error {
	for _, sv := range a.servers {
		drain(sv.search)
		drain(sv.bind)
	}
	return nil
}

// Check authenticates the Basic credential of req. A request without one
// gets OutcomeNoCredential; every other failure is OutcomeFailure with
// the cause in Reason.
func (a *Auth) Check(ctx context.Context, req *plugin.CheckRequest) (plugin.CheckResult, error) {
	login, password, err := basicCredentials(req.Header)
	if err == errNoBasic {
		return plugin.CheckResult{Outcome: plugin.OutcomeNoCredential}, nil
	}
	if err != nil {
		return deny(err.Error()), nil
	}
	if reason := checkLogin(login, password); reason != "" {
		return deny(reason), nil
	}

	p, reason := a.login(ctx, login, password)
	if reason != "" {
		return deny(fmt.Sprintf("user %q: %s", login, reason)), nil
	}
	return plugin.CheckResult{Outcome: plugin.OutcomeSuccess, Principal: p}, nil
}

func deny(reason string) plugin.CheckResult {
	return plugin.CheckResult{Outcome: plugin.OutcomeFailure, Reason: reason}
}

// login tries the servers in order, healthy ones first, and returns the
// principal or the reason of the denial. A server fault moves on to the
// next server; a definite answer ends the search.
func (a *Auth) login(ctx context.Context, login, password string) (plugin.Principal, string) {
	var faults []string
	for _, sv := range a.order() {
		if ctx.Err() != nil {
			faults = append(faults, ctx.Err().Error())
			break
		}
		p, denial, err := a.loginOn(ctx, sv, login, password)
		if err == nil {
			sv.downUntil.Store(0)
			return p, denial
		}
		a.log.Warn("ldap server failed", "url", sv.url.Redacted(), "error", err)
		sv.markDown(a.now())
		faults = append(faults, fmt.Sprintf("%s: %v", sv.url.Redacted(), err))
	}
	return plugin.Principal{}, "directory unavailable: " + strings.Join(faults, "; ")
}

// order returns the servers in configured order, those that failed
// recently last.
func (a *Auth) order() []*server {
	now := a.now()
	var up, down []*server
	for _, sv := range a.servers {
		if sv.isDown(now) {
			down = append(down, sv)
		} else {
			up = append(up, sv)
		}
	}
	return append(up, down...)
}

// loginOn checks one login on one server. When pooled connections fail
// quickly, they were probably closed by the server while idle: the pools
// are emptied and the login is tried once more on fresh connections.
func (a *Auth) loginOn(ctx context.Context, sv *server, login, password string) (plugin.Principal, string, error) {
	hadIdle := len(sv.search) > 0 || len(sv.bind) > 0
	p, denial, err := a.attempt(ctx, sv, login, password)
	if err != nil && hadIdle && !isTimeout(err) && ctx.Err() == nil {
		drain(sv.search)
		drain(sv.bind)
		p, denial, err = a.attempt(ctx, sv, login, password)
	}
	return p, denial, err
}

func (a *Auth) attempt(ctx context.Context, sv *server, login, password string) (plugin.Principal, string, error) {
	if a.s.mode == modeSearch {
		return a.searchThenBind(ctx, sv, login, password)
	}
	return a.bindThenRead(ctx, sv, login, password)
}
