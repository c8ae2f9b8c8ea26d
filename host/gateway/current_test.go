package gateway

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/host/server"
	"github.com/gatehouse/gatehouse/host/supervisor"
	"github.com/gatehouse/gatehouse/plugin"
)

// named is a Backend told apart by its name; the generation logic never
// calls into it.
type named string

func (named) AuthChain() []server.AuthPlugin { return nil }
func (named) Pairing() plugin.Pairing        { return nil }
func (named) Sessions() plugin.Sessions      { return nil }
func (named) Statuses() []supervisor.Status  { return nil }

func TestSwapWaitsForHeldRequests(t *testing.T) {
	var c current
	if b, release := c.Acquire(); b != nil {
		t.Fatalf("Acquire before any swap = %v, want nil", b)
	} else {
		release()
	}

	c.swap(named("old"))
	held, release := c.Acquire()
	old := c.swap(named("new"))
	if b, r := c.Acquire(); b != named("new") {
		t.Fatalf("Acquire after swap = %v, want new", b)
	} else {
		r()
	}

	idle := old.retire()
	select {
	case <-idle:
		t.Fatalf("old generation idle while %v is held", held)
	default:
	}
	if old.hold() {
		t.Fatal("a retired generation took a new reference")
	}
	release()
	release() // a second release is a no-op
	select {
	case <-idle:
	case <-time.After(10 * time.Second):
		t.Fatal("old generation not idle after its last release")
	}
}

func TestDrainGivesUpWithContext(t *testing.T) {
	var c current
	c.swap(named("old"))
	_, release := c.Acquire()
	defer release()
	old := c.swap(nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := drain(ctx, old); err == nil {
		t.Fatal("drain of a held generation with a cancelled context = nil, want error")
	}
	if b, _ := c.Acquire(); b != nil {
		t.Fatalf("Acquire after swap(nil) = %v, want nil", b)
	}
}
