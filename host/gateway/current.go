package gateway

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/gatehouse/gatehouse/host/server"
)

// generation is one plugin set with the requests that hold it. A retired
// generation takes no new request; it is stopped once the last request
// that holds it is done.
type generation struct {
	backend server.Backend

	mu      sync.Mutex // guards refs and retired
	refs    int
	retired bool
	idle    chan struct{} // closed when retired and refs is zero
}

func newGeneration(b server.Backend) *generation {
	return &generation{backend: b, idle: make(chan struct{})}
}

// hold takes a reference unless the generation is retired.
func (g *generation) hold() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.retired {
		return false
	}
	g.refs++
	return true
}

func (g *generation) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refs--
	if g.retired && g.refs == 0 {
		close(g.idle)
	}
}

// retire refuses new references and returns a channel closed once the
// last held one is released.
func (g *generation) retire() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.retired {
		g.retired = true
		if g.refs == 0 {
			close(g.idle)
		}
	}
	return g.idle
}

// current is the server.Source of the gateway: the generation requests
// start on, swapped atomically by a reload.
type current struct {
	gen atomic.Pointer[generation]
}

var _ server.Source = (*current)(nil)

// Acquire implements server.Source. It retries when it loses a race with
// a swap, so a request always gets a generation that will not be stopped
// under it.
func (c *current) Acquire() (server.Backend, func()) {
	for {
		g := c.gen.Load()
		if g == nil {
			return nil, func() {}
		}
		if g.hold() {
			var once sync.Once
			return g.backend, func() { once.Do(g.release) }
		}
	}
}

// swap makes b the backend new requests start on and returns the
// previous generation, nil for the first. A nil b leaves requests
// without a backend, as at shutdown.
func (c *current) swap(b server.Backend) *generation {
	if b == nil {
		return c.gen.Swap(nil)
	}
	return c.gen.Swap(newGeneration(b))
}

// drain retires g and waits until no request holds it, or ctx ends.
func drain(ctx context.Context, g *generation) error {
	select {
	case <-g.retire():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
