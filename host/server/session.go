package server

import (
	"encoding/base64"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

// LoginRequest is the optional body of POST /v1/login: it becomes a Basic
// credential for the auth chain. Without a body the request's own
// Authorization header is checked.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// LoginResponse is the answer to a successful login. The token is shown
// once; the host keeps only its digest.
type LoginResponse struct {
	Token     string           `json:"token"`
	ExpiresAt time.Time        `json:"expires_at"`
	Principal plugin.Principal `json:"principal"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, c *call) error {
	if c.backend == nil {
		return errNoBackend
	}
	var body LoginRequest
	found, err := decodeOptionalJSON(r, &body)
	if err != nil {
		return err
	}
	h := r.Header
	if err := oneAuthorization(h); err != nil {
		return err
	}
	if found {
		if err := required([2]string{"username", body.Username}); err != nil {
			return err
		}
		h = r.Header.Clone()
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString(
			[]byte(body.Username+":"+body.Password)))
	}
	who, err := s.check(r, c, h)
	if err != nil {
		return err
	}
	setUser(r, who.Principal.UserID)
	return s.startSession(w, r, c, who.Principal)
}

// startSession mints a token, binds its digest to p and answers with it.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, c *call, p plugin.Principal) error {
	token := NewSessionToken()
	exp := time.Now().Add(c.policy.Sessions.TTL).UTC().Truncate(time.Second)
	if err := c.backend.Sessions().Bind(r.Context(), SessionKey(token), p, exp); err != nil {
		return unavailable("session store", err)
	}
	http.SetCookie(w, &http.Cookie{
		Name: c.policy.Sessions.CookieName, Value: token, Path: "/",
		Expires: exp, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.policy.Sessions.CookieSecure,
	})
	s.log.Info("session started", "user", p.UserID, "role", p.Role, "expires_at", exp)
	writeJSON(w, http.StatusOK, LoginResponse{Token: token, ExpiresAt: exp, Principal: p})
	return nil
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, c.who)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, c *call) error {
	if c.who.sessionKey == "" {
		return errorf(http.StatusBadRequest, CodeInvalidRequest,
			"logout ends a session; this request carries no session token")
	}
	if _, err := c.backend.Sessions().Delete(r.Context(), c.who.sessionKey); err != nil {
		return unavailable("session store", err)
	}
	s.forgetSession(r, c.who.sessionKey)
	http.SetCookie(w, &http.Cookie{
		Name: c.policy.Sessions.CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.policy.Sessions.CookieSecure,
	})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
