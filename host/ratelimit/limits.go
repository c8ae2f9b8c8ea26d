package ratelimit

import (
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/host/internal/apierr"
)

// ServerLimits bound what one client can make the server hold: header
// and body sizes, and how long a slow client may take. The HTTP server
// applies them; handlers that stream (events, WebSocket) clear their own
// write deadline.
type ServerLimits struct {
	// ReadHeaderTimeout bounds the time to send the request headers; it
	// is what stops a slowloris client.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds the time to send the whole request.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	IdleTimeout  time.Duration
	// MaxHeaderBytes past which the server answers 431.
	MaxHeaderBytes int
	// MaxBodyBytes past which MaxBody answers 413.
	MaxBodyBytes int64
}

// DefaultReadHeaderTimeout is used when ServerLimits leaves it zero.
const DefaultReadHeaderTimeout = 10 * time.Second

// Apply sets the limits on s. A zero ReadHeaderTimeout becomes
// DefaultReadHeaderTimeout: a server without one waits forever for a
// slow client's headers.
func (sl ServerLimits) Apply(s *http.Server) {
	s.ReadHeaderTimeout = sl.ReadHeaderTimeout
	if s.ReadHeaderTimeout <= 0 {
		s.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	s.ReadTimeout = sl.ReadTimeout
	s.WriteTimeout = sl.WriteTimeout
	s.IdleTimeout = sl.IdleTimeout
	s.MaxHeaderBytes = sl.MaxHeaderBytes
	if sl.MaxBodyBytes > 0 {
		h := s.Handler
		if h == nil {
			h = http.DefaultServeMux
		}
		s.Handler = MaxBody(sl.MaxBodyBytes, h)
	}
}

// MaxBody answers 413 to a request that declares a body longer than n,
// and caps the body of every other request at n bytes, so a handler
// reading more gets an error.
func MaxBody(n int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			TooLarge(w)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		next.ServeHTTP(w, r)
	})
}

// TooLarge answers 413 in the JSON error shape.
func TooLarge(w http.ResponseWriter) {
	apierr.Write(w, http.StatusRequestEntityTooLarge, apierr.CodeTooLarge, "the request body is too large")
}

// IsTooLarge reports whether err came from reading past MaxBody's cap;
// a handler that sees it should answer TooLarge.
func IsTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
