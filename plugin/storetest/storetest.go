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
package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
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

// Run checks every rule of the pairing and session semantics against the
// stores that f opens.
func Run(t *testing.T, f Factory) {
	t.Helper()
	t.Fatal("storetest: not written yet")
}
