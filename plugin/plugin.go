// Package plugin is the SDK for Gatehouse plugins. A plugin author reads
// this file: it holds the domain types and the three protocol interfaces,
// Auth, Pairing and Sessions. Serve turns implementations into a plugin
// binary; the storetest package checks a store against the shared
// semantics.
//
// Lifecycle of a plugin process, in order: the host launches the binary,
// completes the go-plugin handshake, asks for Info, checks the operator's
// config block against Info.Schema, then calls Configure exactly once for
// the one protocol the block declares. Only then do protocol calls arrive.
// If Configure fails the host stops the process; nothing else is called.
// On shutdown the SDK calls Close on the configured implementation when it
// implements io.Closer; Close may be called twice and must not block past
// its context.
package plugin

import (
	"context"
	"net/http"
	"time"
)

// Protocol names one of the three Gatehouse protocols.
type Protocol string

// The protocols a plugin can serve.
const (
	ProtocolAuth    Protocol = "auth"
	ProtocolPairing Protocol = "pairing"
	ProtocolSession Protocol = "session"
)

// Principal is who a request comes from, as an auth plugin established.
// Metadata holds JSON-like values: strings, float64 numbers, bools, nil,
// []any and map[string]any.
type Principal struct {
	UserID   string         `json:"user_id"`
	Role     string         `json:"role"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

// TLSInfo describes the TLS connection a request arrived on.
type TLSInfo struct {
	ServerName   string
	Version      string
	PeerSubjects []string
}

// CheckRequest is the request the gateway received, as an auth plugin
// sees it. Header keys are canonical.
type CheckRequest struct {
	Method     string
	Path       string
	Host       string
	Header     http.Header
	RemoteAddr string
	// TLS is nil when the request arrived in clear text.
	TLS *TLSInfo
}

// Outcome is the verdict of one auth plugin on one request.
type Outcome int

// The outcomes of Auth.Check. The zero value is a denial.
const (
	// OutcomeFailure ends the auth chain: the request is denied.
	OutcomeFailure Outcome = iota
	// OutcomeSuccess admits the request as CheckResult.Principal.
	OutcomeSuccess
	// OutcomeNoCredential means the request carries no credential this
	// plugin understands; the host asks the next plugin in order.
	OutcomeNoCredential
)

// CheckResult is the answer of Auth.Check. Reason is logged by the host
// and never sent to the client; it must not contain a secret.
type CheckResult struct {
	Outcome   Outcome
	Principal Principal
	Reason    string
}

// Auth authenticates requests. Implementations are safe for concurrent
// use.
type Auth interface {
	// Check decides who req comes from. An error means the plugin could not
	// decide; the host treats it as a denial.
	Check(ctx context.Context, req *CheckRequest) (CheckResult, error)
}

// PendingRequest is an open pairing request.
type PendingRequest struct {
	Code        string    `json:"code"`
	ChannelType string    `json:"channel_type"`
	ChannelID   string    `json:"channel_id"`
	UserName    string    `json:"user_name"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// PairedChannel is a channel that an owner admitted.
type PairedChannel struct {
	ChannelID   string    `json:"channel_id"`
	ChannelType string    `json:"channel_type"`
	PairedAt    time.Time `json:"paired_at"`
	Label       string    `json:"label"`
	ApprovedBy  string    `json:"approved_by"`
}

// Audit actions.
const (
	ActionApproved = "approved"
	ActionDenied   = "denied"
	ActionRevoked  = "revoked"
)

// AuditRecord records one approval, denial or revocation.
type AuditRecord struct {
	ID          int64     `json:"id"`
	Action      string    `json:"action"`
	ChannelType string    `json:"channel_type"`
	ChannelID   string    `json:"channel_id"`
	Actor       string    `json:"actor"`
	At          time.Time `json:"at"`
	Detail      string    `json:"detail,omitempty"`
}

// CodeRequest asks for a pairing code for a channel. An empty ChannelID
// opens a request not yet bound to a channel.
type CodeRequest struct {
	ChannelType string
	ChannelID   string
	UserName    string
}

// Approval approves the open request with Code. Code may be in any case
// and contain spaces and hyphens. UserID names the channel only when the
// request was opened without one; UserName becomes the label.
type Approval struct {
	ChannelType string
	Code        string
	UserID      string
	UserName    string
	Actor       string
}

// Denial discards the open request with Code without pairing.
type Denial struct {
	ChannelType string
	Code        string
	Actor       string
}

// Revocation removes the pairing of a channel.
type Revocation struct {
	ChannelID   string
	ChannelType string
	Actor       string
}

// Page selects one page of a listing: Cursor is empty for the first page,
// then the cursor the previous page returned. Limit caps the page; zero
// means the store's default.
type Page struct {
	Cursor string
	Limit  int
}

// Pairing stores pairing requests and paired channels. Implementations are
// safe for concurrent use, also by several processes sharing one backend.
// The exact semantics are those checked by package storetest.
type Pairing interface {
	// GenerateCode opens a request, or returns the open request of the same
	// channel with reused set. Past the per-type cap it fails with
	// ErrTooManyPending.
	GenerateCode(ctx context.Context, req CodeRequest) (pr PendingRequest, reused bool, err error)
	// Approve consumes the code and pairs its channel. An unknown, expired
	// or already consumed code, or one issued for another channel type,
	// fails with ErrNotFound. Exactly one of racing approvals succeeds.
	Approve(ctx context.Context, a Approval) (PairedChannel, error)
	// Deny consumes the code without pairing; errors as for Approve.
	Deny(ctx context.Context, d Denial) (PendingRequest, error)
	// IsPaired reports whether the channel is paired. Note the order.
	IsPaired(ctx context.Context, channelID, channelType string) (bool, error)
	// ListPaired returns one page of paired channels in a stable order and
	// the cursor of the next page, empty after the last.
	ListPaired(ctx context.Context, p Page) ([]PairedChannel, string, error)
	// Revoke removes a pairing and reports whether one existed.
	Revoke(ctx context.Context, r Revocation) (bool, error)
	// ListPending returns the open requests, of one type when channelType
	// is not empty, oldest first. Expired requests are never listed.
	ListPending(ctx context.Context, channelType string) ([]PendingRequest, error)
	// ListAudit returns one page of audit records, oldest first.
	ListAudit(ctx context.Context, p Page) ([]AuditRecord, string, error)
}

// Sessions binds session keys to principals. A key is a digest of the
// session token that the host minted; the raw token never reaches the
// store. Implementations are safe for concurrent use.
type Sessions interface {
	// Bind stores p under key until expiresAt, replacing any earlier
	// binding of key.
	Bind(ctx context.Context, key string, p Principal, expiresAt time.Time) error
	// Lookup returns the principal bound to key and its expiry, or
	// ErrNotFound when there is none or it has expired.
	Lookup(ctx context.Context, key string) (Principal, time.Time, error)
	// Delete removes the binding and reports whether one existed.
	Delete(ctx context.Context, key string) (bool, error)
}
