package ratelimit

import (
	"net/http"
	"time"
)

// Config sets the limits of a Guard. A zero rate turns its limiter off.
type Config struct {
	LoginPerMinute   int
	ApprovePerMinute int
	Burst            int
	MaxKeys          int
	Now              func() time.Time
}

// Guard holds the host's two limiters: failed logins and failed
// approvals, each per client address and per principal.
type Guard struct {
	Login   *Limiter
	Approve *Limiter
}

// New returns the Guard of c.
func New(c Config) *Guard {
	opts := func(perMinute int) Options {
		return Options{PerMinute: perMinute, Burst: c.Burst, MaxKeys: c.MaxKeys, Now: c.Now}
	}
	return &Guard{
		Login:   NewLimiter(opts(c.LoginPerMinute)),
		Approve: NewLimiter(opts(c.ApprovePerMinute)),
	}
}

// KeysFunc returns the limiter keys of a request.
type KeysFunc func(r *http.Request) []string

// FailedFunc reports whether a response status is a failed attempt.
type FailedFunc func(status int) bool

// LoginKeys keys a login attempt by client address and, when the request
// carries Basic credentials, by the user name tried.
func LoginKeys(r *http.Request) []string {
	keys := []string{AddrKey(r.RemoteAddr)}
	if user, _, ok := r.BasicAuth(); ok && user != "" {
		keys = append(keys, PrincipalKey(user))
	}
	return keys
}

// GuessKeys keys a request outside login that carries Basic credentials
// by the user name tried, so that guessing a password through who-am-I,
// forward auth or a proxied route spends the same attempts as a failed
// login. It has no address key: behind a proxy every client shares one
// address, and one guesser must not lock everyone out. Other requests
// have no keys and pass.
func GuessKeys(r *http.Request) []string {
	if user, _, ok := r.BasicAuth(); ok && user != "" {
		return []string{PrincipalKey(user)}
	}
	return nil
}

// ApproveKeys keys an approval attempt by client address and by the
// principal principalOf finds (the approver), never by channel type.
func ApproveKeys(principalOf func(*http.Request) string) KeysFunc {
	return func(r *http.Request) []string {
		keys := []string{AddrKey(r.RemoteAddr)}
		if id := principalOf(r); id != "" {
			keys = append(keys, PrincipalKey(id))
		}
		return keys
	}
}

// FailedLogin counts 401 answers.
func FailedLogin(status int) bool { return status == http.StatusUnauthorized }

// FailedApproval counts answers that say the code or the caller was
// wrong: 400, 401, 403, 404 and 409.
func FailedApproval(status int) bool {
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden,
		http.StatusNotFound, http.StatusConflict:
		return true
	}
	return false
}

// Middleware refuses a request with 429 when one of its keys has no
// attempt left, and spends one attempt from each key when the answer is
// a failure. A nil l passes every request through.
func Middleware(l *Limiter, keys KeysFunc, failed FailedFunc) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if l == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ks := keys(r)
			if wait, ok := l.Check(ks...); !ok {
				Refuse(w, wait)
				return
			}
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(sw, r)
			if failed(sw.status) {
				l.Fail(ks...)
			}
		})
	}
}

// statusWriter records the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (sw *statusWriter) WriteHeader(code int) {
	if !sw.wrote {
		sw.status, sw.wrote = code, true
	}
	sw.ResponseWriter.WriteHeader(code)
}

func (sw *statusWriter) Write(b []byte) (int, error) {
	sw.wrote = true
	return sw.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (sw *statusWriter) Unwrap() http.ResponseWriter { return sw.ResponseWriter }
