package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/plugin"
)

// SessionPrefix starts every session token the host mints.
const SessionPrefix = "ghs_"

// Identity is who an authenticated request comes from.
type Identity struct {
	Principal plugin.Principal `json:"principal"`
	Scopes    []string         `json:"scopes"`
	// Via is "session" or "auth.<block name>".
	Via string `json:"via"`
	// ExpiresAt is when the session ends; zero outside a session.
	ExpiresAt time.Time `json:"expires_at,omitzero"`

	sessionKey string
}

// Can reports whether the identity holds scope; admin holds every scope.
func (id *Identity) Can(scope string) bool {
	return slices.Contains(id.Scopes, scope) || slices.Contains(id.Scopes, config.ScopeAdmin)
}

// SessionKey returns the key a session token is stored under: the hex
// SHA-256 of the token, so a leaked store does not leak live sessions.
func SessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewSessionToken draws a session token with 256 random bits.
func NewSessionToken() string {
	var buf [32]byte
	rand.Read(buf[:])
	return SessionPrefix + base64.RawURLEncoding.EncodeToString(buf[:])
}

// authenticate establishes who r comes from: a session token is looked up
// in the session store, any other credential goes through the auth chain.
// Two Authorization headers are refused: which one counts would depend
// on who reads the request.
func (s *Server) authenticate(r *http.Request, c *call) (*Identity, error) {
	if err := oneAuthorization(r.Header); err != nil {
		return nil, err
	}
	if token := sessionToken(r, c.policy.Sessions.CookieName); token != "" {
		return s.lookupSession(r, c, token)
	}
	return s.check(r, c, r.Header)
}

// oneAuthorization refuses a header with several Authorization fields.
func oneAuthorization(h http.Header) error {
	if len(h.Values("Authorization")) > 1 {
		return errorf(http.StatusUnauthorized, CodeUnauthenticated,
			"send one Authorization header, not several")
	}
	return nil
}

// sessionToken returns the session token r carries, if any. A bearer
// token wins over the cookie; a non-session Authorization header means
// the request is for the auth chain.
func sessionToken(r *http.Request, cookie string) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		token = strings.TrimLeft(token, " ")
		if strings.EqualFold(scheme, "Bearer") && strings.HasPrefix(token, SessionPrefix) {
			return token
		}
		return ""
	}
	if ck, err := r.Cookie(cookie); err == nil && strings.HasPrefix(ck.Value, SessionPrefix) {
		return ck.Value
	}
	return ""
}

func (s *Server) lookupSession(r *http.Request, c *call, token string) (*Identity, error) {
	key := SessionKey(token)
	p, exp, err := c.backend.Sessions().Lookup(r.Context(), key)
	if errors.Is(err, plugin.ErrNotFound) {
		return nil, errorf(http.StatusUnauthorized, CodeUnauthenticated,
			"session expired or logged out; log in again")
	}
	if err != nil {
		return nil, unavailable("session store", err)
	}
	return s.identity(c, p, "session", exp, key), nil
}

// check runs the auth chain in declared order. A plugin without an answer
// (error, timeout, not ready) fails the request closed.
func (s *Server) check(r *http.Request, c *call, h http.Header) (*Identity, error) {
	req := checkRequest(r, h)
	for _, a := range c.backend.AuthChain() {
		res, err := a.Check(r.Context(), req)
		if err != nil {
			return nil, s.chainError(a.Name, err)
		}
		switch res.Outcome {
		case plugin.OutcomeNoCredential:
			continue
		case plugin.OutcomeSuccess:
			return s.identity(c, res.Principal, "auth."+a.Name, time.Time{}, ""), nil
		}
		s.log.Info("auth denied", "plugin", a.Name, "reason", res.Reason)
		return nil, errorf(http.StatusUnauthorized, CodeUnauthenticated, "credentials refused")
	}
	return nil, errorf(http.StatusUnauthorized, CodeUnauthenticated,
		"no credential: send a bearer token, basic credentials or a session")
}

func (s *Server) chainError(name string, err error) error {
	if ae := errorOf(err); ae.status == http.StatusServiceUnavailable {
		return unavailable("auth plugin "+name, err)
	}
	s.log.Warn("auth plugin error", "plugin", name, "error", err)
	return errorf(http.StatusUnauthorized, CodeUnauthenticated, "credentials refused")
}

func unavailable(what string, err error) error {
	ae := errorOf(err)
	if ae.status != http.StatusServiceUnavailable && ae.status != http.StatusInternalServerError {
		return err
	}
	return &apiError{
		status: http.StatusServiceUnavailable, code: CodeUnavailable,
		message: what + " is unavailable; GET /readyz says why", cause: err,
	}
}

func (s *Server) identity(c *call, p plugin.Principal, via string, exp time.Time, key string) *Identity {
	scopes := c.policy.Roles[p.Role]
	return &Identity{
		Principal: p, Scopes: append([]string{}, scopes...),
		Via: via, ExpiresAt: exp, sessionKey: key,
	}
}

// checkRequest is what the auth chain sees of r, with header h. Bytes
// that are not UTF-8 become U+FFFD: gRPC refuses such strings, and a stray
// Latin-1 header must not cost a good credential its answer.
func checkRequest(r *http.Request, h http.Header) *plugin.CheckRequest {
	req := &plugin.CheckRequest{
		Method: r.Method, Path: validUTF8(r.URL.Path), Host: validUTF8(r.Host),
		Header: validHeader(h), RemoteAddr: r.RemoteAddr,
	}
	if r.TLS != nil {
		req.TLS = &plugin.TLSInfo{
			ServerName: r.TLS.ServerName,
			Version:    tls.VersionName(r.TLS.Version),
		}
		for _, cert := range r.TLS.PeerCertificates {
			req.TLS.PeerSubjects = append(req.TLS.PeerSubjects, cert.Subject.String())
		}
	}
	return req
}

func validUTF8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// validHeader returns a copy of h whose values are valid UTF-8.
func validHeader(h http.Header) http.Header {
	out := h.Clone()
	for _, vs := range out {
		for i, v := range vs {
			vs[i] = validUTF8(v)
		}
	}
	return out
}
