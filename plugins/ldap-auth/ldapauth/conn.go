package ldapauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// server is one directory server of the url list with its two pools of
// idle connections: search connections stay bound as the service account
// (or anonymous), bind connections are rebound for every user. It is
// safe for concurrent use.
type server struct {
	url    *url.URL
	search chan *ldap.Conn
	bind   chan *ldap.Conn
	// downUntil is the unix nano time before which the server is tried
	// only after the healthy ones.
	downUntil atomic.Int64
}

func newServer(u *url.URL, poolSize int) *server {
	return &server{
		url:    u,
		search: make(chan *ldap.Conn, poolSize),
		bind:   make(chan *ldap.Conn, poolSize),
	}
}

// isDown reports whether the server failed recently.
func (sv *server) isDown(now time.Time) bool {
	return now.UnixNano() < sv.downUntil.Load()
}

func (sv *server) markDown(now time.Time) {
	sv.downUntil.Store(now.Add(DefaultRetryAfter).UnixNano())
}

// take returns an idle connection from pool, or nil.
func take(pool chan *ldap.Conn) *ldap.Conn {
	for {
		select {
		case c := <-pool:
			if !c.IsClosing() {
				return c
			}
		default:
			return nil
		}
	}
}

// put returns c to pool, or closes it when it is broken or the pool full.
func put(pool chan *ldap.Conn, c *ldap.Conn) {
	if c == nil || c.IsClosing() {
		return
	}
	select {
	case pool <- c:
	default:
		c.Close()
	}
}

// drain closes every idle connection of pool.
func drain(pool chan *ldap.Conn) {
	for c := take(pool); c != nil; c = take(pool) {
		c.Close()
	}
}

// dialer opens connections to one server with the configured timeouts
// and TLS.
type dialer struct {
	tls            *tls.Config
	startTLS       bool
	connectTimeout time.Duration
	requestTimeout time.Duration
}

// dial connects to u. The TLS handshake (LDAPS or StartTLS) counts
// against the connection timeout; every later operation is bounded by the
// request timeout.
func (d *dialer) dial(ctx context.Context, u *url.URL) (*ldap.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, d.connectTimeout)
	defer cancel()

	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", hostPort(u))
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", u.Redacted(), err)
	}
	deadline, _ := ctx.Deadline()
	raw.SetDeadline(deadline)

	conn, isTLS := raw, false
	if u.Scheme == "ldaps" {
		tc := tls.Client(raw, d.tlsFor(u))
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("tls handshake with %s: %w", u.Redacted(), err)
		}
		conn, isTLS = tc, true
	}

	c := ldap.NewConn(conn, isTLS)
	c.Start()
	c.SetTimeout(d.requestTimeout)
	if d.startTLS {
		if err := c.StartTLS(d.tlsFor(u)); err != nil {
			c.Close()
			return nil, fmt.Errorf("starttls with %s: %w", u.Redacted(), err)
		}
	}
	raw.SetDeadline(time.Time{})
	return c, nil
}

// tlsFor returns the TLS config for u, naming its host unless
// tls_server_name overrides it.
func (d *dialer) tlsFor(u *url.URL) *tls.Config {
	c := d.tls.Clone()
	if c.ServerName == "" {
		c.ServerName = u.Hostname()
	}
	return c
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "ldaps" {
		return net.JoinHostPort(u.Hostname(), "636")
	}
	return net.JoinHostPort(u.Hostname(), "389")
}

// tlsConfig builds the client TLS config from the settings.
func (s *settings) tlsConfig() (*tls.Config, error) {
	c := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         s.TLSServerName,
		InsecureSkipVerify: s.InsecureTLS,
	}
	if s.TLSMinVersion == "tls13" {
		c.MinVersion = tls.VersionTLS13
	}
	if s.Certificate != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(s.Certificate)) {
			return nil, errors.New("certificate: no PEM certificate found")
		}
		c.RootCAs = pool
	}
	if (s.ClientTLSCert == "") != (s.ClientTLSKey == "") {
		return nil, errors.New("client_tls_cert and client_tls_key must be set together")
	}
	if s.ClientTLSCert != "" {
		// The parse error of a key can quote key material: drop it.
		cert, err := tls.X509KeyPair([]byte(s.ClientTLSCert), []byte(s.ClientTLSKey))
		if err != nil {
			return nil, errors.New("client_tls_cert/client_tls_key: not a matching PEM certificate and key")
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
