// Package ratelimit slows down password guessing and code guessing: login
// and approval attempts are limited per client address and per principal,
// each key with its own token bucket (golang.org/x/time/rate). Limits are
// never keyed by channel type, so one attacker failing approvals cannot
// lock out every owner of that channel type.
//
// Only failures spend: Check asks whether every key still has an attempt
// left, and Fail spends one from each. A caller whose attempt succeeded
// spends nothing. Concurrent attempts that pass Check together may each
// fail before any Fail lands, so a burst can overshoot by the number of
// requests in flight; the limit holds from then on.
//
// The limiters are kept in a bounded map; past MaxKeys the least recently
// used key is forgotten, which only ever gives that key a fresh bucket.
package ratelimit

import (
	"container/list"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/host/internal/apierr"
	"golang.org/x/time/rate"
)

// DefaultMaxKeys bounds the number of keys a Limiter remembers.
const DefaultMaxKeys = 10000

// Options configures a Limiter.
type Options struct {
	// PerMinute is the sustained number of failed attempts a key may make.
	PerMinute int
	// Burst is how many failures a fresh key may make at once; at least 1.
	Burst   int
	MaxKeys int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Limiter limits failed attempts per key. It is safe for concurrent use.
// A nil *Limiter allows everything.
type Limiter struct {
	o     Options
	every rate.Limit

	// mu guards keys and order.
	mu    sync.Mutex
	keys  map[string]*list.Element
	order *list.List // of *bucket, most recently used first
}

type bucket struct {
	key string
	lim *rate.Limiter
}

// NewLimiter returns a Limiter, or nil when o.PerMinute is not positive.
func NewLimiter(o Options) *Limiter {
	if o.PerMinute <= 0 {
		return nil
	}
	o.Burst = max(o.Burst, 1)
	if o.MaxKeys <= 0 {
		o.MaxKeys = DefaultMaxKeys
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Limiter{
		o:     o,
		every: rate.Limit(float64(o.PerMinute) / 60),
		keys:  make(map[string]*list.Element),
		order: list.New(),
	}
}

// Check reports whether every one of keys has an attempt left. When one
// has not, it returns how long until it has. Check spends nothing.
func (l *Limiter) Check(keys ...string) (retryAfter time.Duration, ok bool) {
	if l == nil {
		return 0, true
	}
	now := l.o.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		el, found := l.keys[k]
		if !found {
			continue
		}
		tokens := el.Value.(*bucket).lim.TokensAt(now)
		if tokens < 1 {
			wait := time.Duration((1 - tokens) / float64(l.every) * float64(time.Second))
			retryAfter = max(retryAfter, wait)
		}
	}
	return retryAfter, retryAfter == 0
}

// Fail spends one attempt from each of keys.
func (l *Limiter) Fail(keys ...string) {
	if l == nil {
		return
	}
	now := l.o.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		l.bucket(k).lim.ReserveN(now, 1)
	}
}

// Len returns the number of keys remembered.
func (l *Limiter) Len() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}

// bucket returns the bucket of k, creating it and evicting the least
// recently used one past MaxKeys; l.mu must be held.
func (l *Limiter) bucket(k string) *bucket {
	if el, ok := l.keys[k]; ok {
		l.order.MoveToFront(el)
		return el.Value.(*bucket)
	}
	b := &bucket{key: k, lim: rate.NewLimiter(l.every, l.o.Burst)}
	l.keys[k] = l.order.PushFront(b)
	for l.order.Len() > l.o.MaxKeys {
		last := l.order.Back()
		delete(l.keys, last.Value.(*bucket).key)
		l.order.Remove(last)
	}
	return b
}

// AddrKey returns the limiter key of a client address: the IP of
// remoteAddr, with IPv6 addresses reduced to their /64, since one
// client usually holds a whole /64.
func AddrKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	if ip != nil && ip.To4() == nil {
		ip = ip.Mask(net.CIDRMask(64, 128))
	}
	if ip == nil {
		return "addr:" + host
	}
	return "addr:" + ip.String()
}

// PrincipalKey returns the limiter key of a user id.
func PrincipalKey(userID string) string { return "principal:" + userID }

// Refuse answers 429 with Retry-After in whole seconds, rounded up.
func Refuse(w http.ResponseWriter, retryAfter time.Duration) {
	secs := int(math.Ceil(retryAfter.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	apierr.Write(w, http.StatusTooManyRequests, apierr.CodeRateLimited,
		"too many failed attempts; wait "+strconv.Itoa(max(secs, 1))+"s and try again")
}
