// Package authcache remembers recent authentication decisions so that a
// credential checked on every request (forward auth, proxied routes) does
// not reach the directory every time. It is off unless configured.
//
// Entries are keyed by a SHA-256 digest of the request's credentials (its
// Authorization header and session cookie); the credentials themselves
// are never stored. A success is remembered for PositiveTTL, a definite
// refusal for NegativeTTL; a failure to decide (a plugin down) is never
// remembered. A revoked credential therefore keeps its cached answer for
// at most PositiveTTL, except a session token, which Forget drops at
// logout.
package authcache

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/host/forward"
	"github.com/gatehouse/gatehouse/plugin"
)

// DefaultMaxEntries bounds the cache when Options.MaxEntries is zero.
const DefaultMaxEntries = 10000

// Options configures a Cache. With both lifetimes zero there is no cache.
type Options struct {
	PositiveTTL time.Duration
	NegativeTTL time.Duration
	MaxEntries  int
	// CookieName is the host's session cookie, part of the key.
	CookieName string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Cache is a bounded decision cache, safe for concurrent use. A nil
// *Cache caches nothing.
type Cache struct {
	o Options

	// mu guards entries and order.
	mu      sync.Mutex
	entries map[string]*list.Element
	order   *list.List // of *entry, most recently used first
}

// entry is one remembered decision.
type entry struct {
	key       string
	principal plugin.Principal
	denied    bool
	expires   time.Time
	// sessions are the session keys (hex SHA-256 of a token) that the
	// credentials carried, for Forget.
	sessions []string
}

// New returns a Cache, or nil when o configures no lifetime.
func New(o Options) *Cache {
	if o.PositiveTTL <= 0 && o.NegativeTTL <= 0 {
		return nil
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Cache{o: o, entries: make(map[string]*list.Element), order: list.New()}
}

// Wrap returns an AuthenticateFunc that answers from the cache when it
// can and asks next otherwise. A request without credentials always goes
// to next.
func (c *Cache) Wrap(next forward.AuthenticateFunc) forward.AuthenticateFunc {
	if c == nil {
		return next
	}
	return func(ctx context.Context, req *plugin.CheckRequest) (plugin.Principal, error) {
		key, sessions, ok := c.keyOf(req.Header)
		if !ok {
			return next(ctx, req)
		}
		if e, ok := c.get(key); ok {
			if e.denied {
				return plugin.Principal{}, fmt.Errorf("cached refusal: %w", plugin.ErrUnauthenticated)
			}
			return e.principal, nil
		}

		p, err := next(ctx, req)
		switch {
		case err == nil && c.o.PositiveTTL > 0:
			c.put(&entry{key: key, principal: p, expires: c.o.Now().Add(c.o.PositiveTTL), sessions: sessions})
		case err != nil && forward.IsUnauthenticated(err) && c.o.NegativeTTL > 0:
			c.put(&entry{key: key, denied: true, expires: c.o.Now().Add(c.o.NegativeTTL), sessions: sessions})
		}
		return p, err
	}
}

// Forget drops every entry whose credentials carried the session token
// with key sessionKey (hex SHA-256 of the token, as the session store
// keys it) and returns how many it dropped.
func (c *Cache) Forget(sessionKey string) int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for el := c.order.Front(); el != nil; {
		next := el.Next()
		for _, s := range el.Value.(*entry).sessions {
			if s == sessionKey {
				c.remove(el)
				n++
				break
			}
		}
		el = next
	}
	return n
}

// Len returns the number of entries, expired ones included.
func (c *Cache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// keyOf digests the credentials in h. ok is false when h carries none.
func (c *Cache) keyOf(h http.Header) (key string, sessions []string, ok bool) {
	authz := h.Values("Authorization")
	var cookie string
	if c.o.CookieName != "" {
		if ck, err := (&http.Request{Header: h}).Cookie(c.o.CookieName); err == nil {
			cookie = ck.Value
		}
	}
	if len(authz) == 0 && cookie == "" {
		return "", nil, false
	}

	d := sha256.New()
	for _, a := range authz {
		fmt.Fprintf(d, "authorization:%d:%s\n", len(a), a)
		if tok, ok := bearer(a); ok {
			sessions = append(sessions, SessionKey(tok))
		}
	}
	fmt.Fprintf(d, "cookie:%d:%s\n", len(cookie), cookie)
	if cookie != "" {
		sessions = append(sessions, SessionKey(cookie))
	}
	return hex.EncodeToString(d.Sum(nil)), sessions, true
}

// SessionKey returns the key a session store uses for token: the hex
// SHA-256 of the token.
func SessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func bearer(authz string) (string, bool) {
	if len(authz) > 7 && (authz[:7] == "Bearer " || authz[:7] == "bearer ") {
		return authz[7:], true
	}
	return "", false
}

// get returns the live entry for key and marks it recently used.
func (c *Cache) get(key string) (entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return entry{}, false
	}
	e := el.Value.(*entry)
	if !c.o.Now().Before(e.expires) {
		c.remove(el)
		return entry{}, false
	}
	c.order.MoveToFront(el)
	return *e, true
}

// put stores e, evicting the least recently used entries past the bound.
func (c *Cache) put(e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[e.key]; ok {
		c.remove(el)
	}
	c.entries[e.key] = c.order.PushFront(e)
	for c.order.Len() > c.o.MaxEntries {
		c.remove(c.order.Back())
	}
}

// remove drops el; c.mu must be held.
func (c *Cache) remove(el *list.Element) {
	delete(c.entries, el.Value.(*entry).key)
	c.order.Remove(el)
}
