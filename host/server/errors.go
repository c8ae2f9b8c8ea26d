package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/host/internal/apierr"
	"github.com/gatehouse/gatehouse/host/supervisor"
	"github.com/gatehouse/gatehouse/plugin"
)

// Error codes of the HTTP API; see package apierr.
const (
	CodeInvalidRequest   = apierr.CodeInvalidRequest
	CodeUnauthenticated  = apierr.CodeUnauthenticated
	CodeForbidden        = apierr.CodeForbidden
	CodeNotFound         = apierr.CodeNotFound
	CodeConflict         = apierr.CodeConflict
	CodeTooManyPending   = apierr.CodeTooManyPending
	CodeUnavailable      = apierr.CodeUnavailable
	CodePayloadTooLarge  = apierr.CodeTooLarge
	CodeMethodNotAllowed = apierr.CodeMethodNotAllowed
	CodeNotImplemented   = apierr.CodeNotImplemented
	CodeInternal         = apierr.CodeInternal
)

// ErrorBody is the JSON body of every error response.
type ErrorBody = apierr.Body

// apiError is an error with the HTTP status and code it is answered with.
type apiError struct {
	status  int
	code    string
	message string
	// cause, when set, is logged but never sent to the client.
	cause error
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return e.code + ": " + e.message + ": " + e.cause.Error()
	}
	return e.code + ": " + e.message
}

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// vocabulary maps the plugin error vocabulary to HTTP, most specific
// first.
var vocabulary = []struct {
	err    error
	status int
	code   string
}{
	{plugin.ErrNotFound, http.StatusNotFound, CodeNotFound},
	{plugin.ErrInvalid, http.StatusBadRequest, CodeInvalidRequest},
	{plugin.ErrUnauthenticated, http.StatusUnauthorized, CodeUnauthenticated},
	{plugin.ErrDenied, http.StatusForbidden, CodeForbidden},
	{plugin.ErrConflict, http.StatusConflict, CodeConflict},
	{plugin.ErrTooManyPending, http.StatusTooManyRequests, CodeTooManyPending},
	{plugin.ErrUnavailable, http.StatusServiceUnavailable, CodeUnavailable},
	{plugin.ErrTimeout, http.StatusServiceUnavailable, CodeUnavailable},
	{supervisor.ErrNotReady, http.StatusServiceUnavailable, CodeUnavailable},
	{context.DeadlineExceeded, http.StatusServiceUnavailable, CodeUnavailable},
	{plugin.ErrUnimplemented, http.StatusNotImplemented, CodeNotImplemented},
}

// errorOf turns any error into the API error it is answered with. Errors
// outside the vocabulary become internal errors without detail.
func errorOf(err error) *apiError {
	if ae, ok := errors.AsType[*apiError](err); ok {
		return ae
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return errorf(http.StatusRequestEntityTooLarge, CodePayloadTooLarge,
			"request body is too large")
	}
	for _, v := range vocabulary {
		if errors.Is(err, v.err) {
			return &apiError{status: v.status, code: v.code, message: clientMessage(err, v.status)}
		}
	}
	return errorf(http.StatusInternalServerError, CodeInternal, "internal error")
}

// clientMessage is what a client is told of err. A plugin that failed
// to answer is named, but the transport's detail (addresses, sockets,
// exit codes) stays in the host log.
func clientMessage(err error, status int) string {
	ce, ok := errors.AsType[*supervisor.CallError](err)
	switch {
	case !ok:
		return err.Error()
	case status >= http.StatusInternalServerError:
		return fmt.Sprintf("plugin %s is unavailable; GET /readyz says why", ce.Key)
	}
	return ce.Err.Error()
}

// fail answers r with err. Internal and unavailable errors are logged
// here, once.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		// The client has gone; nobody reads the answer.
		s.log.Debug("request abandoned", "route", r.Pattern, "error", err)
		return
	}
	ae := errorOf(err)
	if ae.status >= http.StatusInternalServerError {
		s.log.Error("request failed", "route", r.Pattern, "error", err)
	}
	writeError(w, ae)
}

func writeError(w http.ResponseWriter, ae *apiError) {
	apierr.Write(w, ae.status, ae.code, ae.message)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// decodeJSON reads one JSON value from the body into dst, refusing
// unknown fields, an empty body and anything after the value.
func decodeJSON(r *http.Request, dst any) error {
	found, err := decodeOptionalJSON(r, dst)
	if err == nil && !found {
		err = errorf(http.StatusBadRequest, CodeInvalidRequest, "request body is empty")
	}
	return err
}

// decodeOptionalJSON is decodeJSON for a body that may be empty; it
// reports whether there was one.
func decodeOptionalJSON(r *http.Request, dst any) (bool, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return false, badJSON(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return false, badJSON(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return false, badJSON(errors.New("trailing data after the JSON value"))
	}
	return true, nil
}

func badJSON(err error) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return err
	}
	return errorf(http.StatusBadRequest, CodeInvalidRequest, "request body: %v", err)
}

// required fails with invalid_request naming the first empty field.
func required(fields ...[2]string) error {
	for _, f := range fields {
		if f[1] == "" {
			return errorf(http.StatusBadRequest, CodeInvalidRequest, "%s is required", f[0])
		}
	}
	return nil
}

// plainText refuses a field that is not UTF-8 or holds a control
// character: such values cannot cross the plugin wire (gRPC strings are
// UTF-8), and newlines or escape sequences in a channel or user name would
// forge lines in an operator's listing or terminal.
func plainText(fields ...[2]string) error {
	for _, f := range fields {
		if !utf8.ValidString(f[1]) || strings.ContainsFunc(f[1], unicode.IsControl) {
			return errorf(http.StatusBadRequest, CodeInvalidRequest,
				"%s must be UTF-8 text without control characters", f[0])
		}
	}
	return nil
}
