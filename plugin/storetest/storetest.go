// Package storetest is the conformance kit for pairing and session
// stores. Any store runs it from its own tests, the way log/slog handlers
// run testing/slogtest:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, opts storetest.Options) func() storetest.Stores {
//			path := filepath.Join(t.TempDir(), "db")
//			return func() storetest.Stores { ... open path with opts ... }
//		})
//	}
//
// # Rules the kit checks
//
// Pairing codes:
//   - A code is CodeLength characters of plugin.CodeAlphabet; open
//     requests have distinct codes. ExpiresAt is CreatedAt plus the
//     configured code TTL.
//   - Approve and Deny accept a code in any case, with spaces and hyphens
//     anywhere. A code that is not well formed after that fails with
//     plugin.ErrInvalid; a well-formed code that is unknown, expired,
//     consumed or issued for another channel type fails with
//     plugin.ErrNotFound.
//   - An expired request is never approved, denied or listed, does not
//     count against the cap, and its channel gets a new request
//     (reused false) when it asks again.
//   - A second GenerateCode for the same channel type and id while its
//     request is open returns the same request with reused true, from any
//     handle, also when several race. A request opened without a channel
//     id is never reused.
//   - At most MaxPending requests are open per channel type, counting
//     requests with and without a channel id; past that GenerateCode fails
//     with plugin.ErrTooManyPending. Other types are unaffected and reuse
//     of an open request always succeeds.
//
// Approval and denial:
//   - Approve pairs the channel the code was issued to and ignores
//     UserID then. For a request opened without a channel id, UserID names
//     the channel; when it is empty Approve fails with plugin.ErrInvalid
//     and the code stays usable.
//   - The label is Approval.UserName, or the requester's UserName when
//     that is empty. ApprovedBy is the Actor. Approving a code of a channel
//     that is already paired replaces its label and approver; the channel
//     is still listed once.
//   - Of many approvals of one code racing across handles, exactly one
//     succeeds; the others fail with plugin.ErrNotFound.
//   - Deny consumes the request without pairing and returns it.
//   - Revoke reports whether a pairing existed; only a removal is audited.
//   - IsPaired takes (channelID, channelType); pairings of one id under two
//     types are independent.
//
// Listings:
//   - ListPaired walks every pairing exactly once in a stable order, never
//     more than Page.Limit per page; a non-empty next cursor promises at
//     least one more item, so the last page carries an empty cursor. A
//     cursor the store did not issue fails with plugin.ErrInvalid.
//   - ListPending lists open requests oldest first, of one type when asked,
//     and an unknown type lists nothing.
//   - ListAudit returns approvals, denials and revocations oldest first,
//     with increasing IDs, the channel, the actor and the time; it pages
//     like ListPaired.
//
// Sessions:
//   - Lookup returns what Bind stored, metadata included (nested maps,
//     lists, float64 numbers, bools, nil), and the expiry to within a
//     second. A later Bind of the same key replaces the binding.
//   - A binding whose expiry has passed looks up as plugin.ErrNotFound,
//     and Delete reports it absent. Delete reports true once, then false.
//
// Input limits, the same for every store; each violation fails with
// plugin.ErrInvalid:
//   - Channel types, channel ids, user ids, actors, roles and session keys
//     are at most MaxIDBytes bytes; user names and labels at most
//     MaxLabelBytes; a principal encoded as JSON at most MaxPrincipalBytes.
//     Values at the limit are accepted.
//   - A channel type is required everywhere except ListPending; a channel
//     id is required by IsPaired and Revoke; a session key, a principal's
//     UserID and a non-zero expiry are required by Bind.
//
// Times are compared with a tolerance of one second, so a store may keep
// them in milliseconds. The kit waits for real expiry: it takes about
// five seconds.
package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

// Input limits every store enforces; see the package documentation.
const (
	MaxIDBytes        = plugin.MaxIDBytes
	MaxLabelBytes     = plugin.MaxLabelBytes
	MaxPrincipalBytes = plugin.MaxPrincipalBytes
)

// Options configure the backend a Factory opens.
type Options struct {
	CodeTTL    time.Duration
	MaxPending int
}

// Stores is one handle on a backend.
type Stores struct {
	Pairing  plugin.Pairing
	Sessions plugin.Sessions
}

// Factory opens a fresh, empty backend configured with opts and returns a
// function that opens handles on it. Each handle has its own connections,
// as a separate process would; the kit races operations across handles.
// Handles are released by the factory through t.Cleanup.
type Factory func(t *testing.T, opts Options) (open func() Stores)

// check is one named rule of the kit.
type check struct {
	name string
	run  func(t *testing.T, f Factory)
}

// Run checks every rule of the pairing and session semantics against the
// stores that f opens.
func Run(t *testing.T, f Factory) {
	t.Helper()
	groups := []struct {
		name   string
		checks []check
	}{
		{"Pairing", pairingChecks},
		{"Sessions", sessionChecks},
		{"Validation", validationChecks},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.checks {
				t.Run(c.name, func(t *testing.T) { c.run(t, f) })
			}
		})
	}
}

// defaults are the options of most checks.
var defaults = Options{CodeTTL: plugin.DefaultCodeTTL, MaxPending: plugin.DefaultMaxPending}

// fresh opens a new backend with opts and one handle on it.
func fresh(t *testing.T, f Factory, opts Options) (func() Stores, Stores) {
	t.Helper()
	open := f(t, opts)
	return open, open()
}
