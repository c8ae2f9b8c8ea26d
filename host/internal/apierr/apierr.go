// Package apierr writes the host's JSON error responses:
// {"error":{"code":"...","message":"..."}}. The code is stable and meant
// for programs; the message is meant for a person.
package apierr

import (
	"encoding/json"
	"net/http"
)

// Stable error codes written by the edge packages.
const (
	CodeUnauthenticated = "unauthenticated"
	CodeForbidden       = "forbidden"
	CodeRateLimited     = "rate_limited"
	CodeBadGateway      = "bad_gateway"
	CodeGatewayTimeout  = "gateway_timeout"
	CodeNotFound        = "not_found"
	CodeUnavailable     = "unavailable"
	CodeTooLarge        = "payload_too_large"
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
