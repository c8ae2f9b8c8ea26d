// Package apierr writes the host's JSON error responses:
// {"error":{"code":"...","message":"..."}}. The code is stable and meant
// for programs; the message is meant for a person.
package apierr

import (
	"encoding/json"
	"net/http"
)

// Stable error codes of the HTTP API, shared by the server and the edge
// packages. Clients may rely on them.
const (
	CodeInvalidRequest   = "invalid_request"
	CodeUnauthenticated  = "unauthenticated"
	CodeForbidden        = "forbidden"
	CodeNotFound         = "not_found"
	CodeConflict         = "conflict"
	CodeTooManyPending   = "too_many_pending"
	CodeRateLimited      = "rate_limited"
	CodeUnavailable      = "unavailable"
	CodeTooLarge         = "payload_too_large"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeNotImplemented   = "not_implemented"
	CodeBadGateway       = "bad_gateway"
	CodeGatewayTimeout   = "gateway_timeout"
	CodeInternal         = "internal"
)

// Body is the JSON shape of an error response.
type Body struct {
	Error Detail `json:"error"`
}

// Detail is the error object inside Body.
type Detail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Write sends status with the JSON error body. Headers already set on w,
// such as WWW-Authenticate or Retry-After, are kept.
func Write(w http.ResponseWriter, status int, code, message string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(Body{Detail{code, message}})
}
