// Package events streams pairing activity to owners' consoles and bots
// as Server-Sent Events: a request opened, approved, denied or revoked.
//
// Publishers never wait: each subscriber has a bounded buffer, and one
// that falls behind is dropped (its stream ends; the client reconnects
// with Last-Event-ID and catches up from the history ring). The caller
// checks the subscriber's scope before it hands a request to ServeHTTP.
package events

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/hashicorp/go-hclog"
)

// Event types.
const (
	TypeRequested = "pairing.requested"
	TypeApproved  = "pairing.approved"
	TypeDenied    = "pairing.denied"
	TypeRevoked   = "pairing.revoked"
)

// Defaults of Options.
const (
	DefaultBuffer    = 64
	DefaultHistory   = 256
	DefaultHeartbeat = 15 * time.Second
)

// Event is one published event. IDs increase by one from 1 within one
// Broker.
type Event struct {
	ID   uint64          `json:"id"`
	Type string          `json:"type"`
	At   time.Time       `json:"at"`
	Data json.RawMessage `json:"data"`
}

// Options configures a Broker.
type Options struct {
	// Buffer is how many events a subscriber may lag behind before it is
	// dropped.
	Buffer int
	// History is how many recent events are kept for Last-Event-ID.
	History int
	// Heartbeat is the interval of comment lines that keep idle streams
	// (and the proxies in front of them) open.
	Heartbeat time.Duration
	Logger    hclog.Logger
	Now       func() time.Time
}

// Broker fans events out to subscribers. It is safe for concurrent use.
type Broker struct {
	o Options

	// mu guards every field below.
	mu     sync.Mutex
	lastID uint64
	ring   []Event // oldest first, at most o.History
	subs   map[*Subscription]struct{}
	closed bool
}

// Subscription receives events on C until it is dropped, closed, or the
// broker closes; then C is closed.
type Subscription struct {
	C <-chan Event
	c chan Event
	b *Broker
}

// New returns a Broker.
func New(o Options) *Broker {
	if o.Buffer <= 0 {
		o.Buffer = DefaultBuffer
	}
	if o.History <= 0 {
		o.History = DefaultHistory
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Broker{o: o, subs: make(map[*Subscription]struct{})}
}

// Publish sends an event of typ with data, marshalled as JSON, to every
// subscriber, dropping those whose buffer is full.
func (b *Broker) Publish(typ string, data any) (Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Event{}, fmt.Errorf("publish %s: %w: %v", typ, plugin.ErrInvalid, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return Event{}, fmt.Errorf("publish %s: broker closed: %w", typ, plugin.ErrUnavailable)
	}
	b.lastID++
	ev := Event{ID: b.lastID, Type: typ, At: b.o.Now().UTC(), Data: raw}
	b.ring = append(b.ring, ev)
	if len(b.ring) > b.o.History {
		b.ring = append(b.ring[:0], b.ring[len(b.ring)-b.o.History:]...)
	}

	for s := range b.subs {
		select {
		case s.c <- ev:
		default:
			b.o.Logger.Warn("events: dropping slow subscriber", "event_id", ev.ID)
			b.dropLocked(s)
		}
	}
	return ev, nil
}

// Subscribe registers a subscriber. When resume is set it also returns
// the kept events after lastID, oldest first; a lastID the broker never
// issued (another process's) gets every kept event.
func (b *Broker) Subscribe(lastID uint64, resume bool) (*Subscription, []Event) {
	c := make(chan Event, b.o.Buffer)
	s := &Subscription{C: c, c: c, b: b}

	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(c)
		return s, nil
	}
	b.subs[s] = struct{}{}
	if !resume {
		return s, nil
	}
	if lastID > b.lastID {
		lastID = 0
	}
	var backlog []Event
	for _, ev := range b.ring {
		if ev.ID > lastID {
			backlog = append(backlog, ev)
		}
	}
	return s, backlog
}

// Close unsubscribes s; it may be called more than once.
func (s *Subscription) Close() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.dropLocked(s)
}

// Subscribers returns the number of live subscribers.
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Close ends every stream; later publishes fail. It may be called more
// than once.
func (b *Broker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		b.dropLocked(s)
	}
}

// dropLocked removes s and closes its channel; b.mu must be held.
func (b *Broker) dropLocked(s *Subscription) {
	if _, ok := b.subs[s]; !ok {
		return
	}
	delete(b.subs, s)
	close(s.c)
}
