// Package store keeps Gatehouse pairing requests, paired channels, the
// audit trail and sessions in Redis, so that several hosts share them. It
// works against a single server, a Sentinel-managed primary or a Cluster.
//
// Key layout, with P the configured key prefix (default "gatehouse:"):
//
//	P{pairing}:code:<CODE>              hash of an open request, PX TTL
//	P{pairing}:chan:<n>:<type>:<id>     open code of a channel, PX TTL
//	P{pairing}:pending:<type>           zset of open codes of a type by expiry
//	P{pairing}:pending                  zset of all open codes by expiry
//	P{pairing}:seq:pending              counter ordering requests by creation
//	P{pairing}:paired                   hash <n>:<type>:<id> -> channel JSON
//	P{pairing}:paired:index             zset of the same fields, score 0, by lex
//	P{pairing}:audit                    stream of audit records, IDs <seq>-0
//	P{pairing}:audit:seq                counter of audit records
//	Psession:<key>                      session JSON, PXAT expiry
//
// where <n> is the byte length of the channel type, which keeps the
// type/id pair unambiguous. Every pairing key carries the hash tag
// {pairing}, so the Lua scripts that touch several of them run on one
// Cluster slot; sessions are single keys and spread over the Cluster.
// Nothing is ever listed with KEYS: listings read the sorted sets. The
// pending indexes expire with their last request, so an idle store keeps
// only its pairings, the audit stream and two counters. Redis 6.2 or
// later is required (SET PXAT, ZRANGE BYLEX, exclusive XRANGE).
//
// Every call is bounded by dial_timeout + write_timeout + read_timeout,
// also when the server stops answering mid-command. A lost connection
// returns errors wrapping plugin.ErrUnavailable; the client reconnects on
// its own once Redis answers again.
package store

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/redis/go-redis/v9"
)

// Store is a Redis-backed pairing and session store. It is safe for
// concurrent use, also by several processes sharing one Redis.
type Store struct {
	rdb  redis.UniversalClient
	keys keys
	set  settings

	closeOnce sync.Once
	closeErr  error
}

var (
	_ plugin.Pairing  = (*Store)(nil)
	_ plugin.Sessions = (*Store)(nil)
	_ io.Closer       = (*Store)(nil)
)

// Open checks cfg, connects and pings Redis. It fails with ErrInvalid for
// a bad config, ErrUnauthenticated when Redis refuses the credentials or
// the client certificate, and ErrUnavailable when Redis cannot be reached
// or its certificate does not verify.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	opts, set, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	s := &Store{
		rdb:  redis.NewUniversalClient(opts),
		keys: keys{prefix: set.prefix},
		set:  set,
	}
	if err := s.ping(ctx); err != nil {
		s.rdb.Close()
		return nil, fmt.Errorf("open redis store: %w", err)
	}
	return s, nil
}

// OpenJSON decodes the JSON form of a config block and opens a Store; it
// is the constructor a plugin main hands to plugin.Serve.
func OpenJSON(ctx context.Context, raw []byte) (*Store, error) {
	cfg, err := DecodeConfig(raw)
	if err != nil {
		return nil, err
	}
	return Open(ctx, cfg)
}

// Close releases the connections. It may be called more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.rdb.Close() })
	return s.closeErr
}

func (s *Store) ping(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	err := s.rdb.Ping(ctx).Err()
	switch {
	case err == nil:
		return nil
	case isAuthError(err):
		return fmt.Errorf("redis refused the credentials: %v: %w", err, plugin.ErrUnauthenticated)
	case isClientCertRefused(err):
		return fmt.Errorf("redis refused the client certificate: %v: %w", err, plugin.ErrUnauthenticated)
	case isServerCertRejected(err):
		return fmt.Errorf("redis server certificate not trusted: %v: %w", err, plugin.ErrUnavailable)
	}
	return s.fail(ctx, "ping", err)
}

// bound derives the context of one call: the caller's deadline or the
// store's call timeout, whichever comes first.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, s.set.callTimeout, errCallTimeout)
}

// errCallTimeout is the cause of a call cut short by the store's own
// timeout: Redis did not answer in time.
var errCallTimeout = errors.New("redis did not answer within the call timeout")

// fail maps a Redis error into the plugin vocabulary. Context errors are
// kept out of the chain (%v): a call cut short by the store's own timeout
// reads as unavailable, one cut short by the caller as its timeout or
// cancellation.
func (s *Store) fail(ctx context.Context, op string, err error) error {
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, errCallTimeout):
		return fmt.Errorf("redis %s: %v: %w", op, cause, plugin.ErrUnavailable)
	case errors.Is(cause, context.DeadlineExceeded):
		return fmt.Errorf("redis %s: %v: %w", op, err, plugin.ErrTimeout)
	case cause != nil:
		return fmt.Errorf("redis %s: %v: %w", op, err, plugin.ErrCanceled)
	case isTransient(err):
		return fmt.Errorf("redis %s: %v: %w", op, err, plugin.ErrUnavailable)
	}
	return fmt.Errorf("redis %s: %v: %w", op, err, plugin.ErrInternal)
}

// isTransient reports whether err means Redis is, for now, not serving:
// no reply at all (network, timeout, closed pool) or a server state that
// passes (loading, failover, cluster down).
func isTransient(err error) bool {
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return true
	}
	msg := rerr.Error()
	for _, p := range []string{"LOADING", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "READONLY", "BUSY", "MOVED", "ASK"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

func isAuthError(err error) bool {
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return false
	}
	msg := rerr.Error()
	return strings.HasPrefix(msg, "WRONGPASS") || strings.HasPrefix(msg, "NOAUTH") ||
		strings.HasPrefix(msg, "NOPERM")
}

// isClientCertRefused reports whether Redis ended the TLS handshake with
// an alert about the certificate the store presented, or about its lack
// of one. The store has already verified the server by then, so the
// alert concerns the client side.
func isClientCertRefused(err error) bool {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" {
		return false
	}
	msg := op.Err.Error()
	return strings.Contains(msg, "certificate") || strings.Contains(msg, "access denied")
}

// isServerCertRejected reports whether the store refused the server's
// certificate: unknown CA, wrong name, expired.
func isServerCertRejected(err error) bool {
	var verr *tls.CertificateVerificationError
	return errors.As(err, &verr)
}

// keys names the store's keys; see the package doc for the layout.
type keys struct{ prefix string }

func (k keys) pairing(suffix string) string { return k.prefix + "{pairing}:" + suffix }

func (k keys) codePrefix() string        { return k.pairing("code:") }
func (k keys) code(c string) string      { return k.codePrefix() + c }
func (k keys) chanPrefix() string        { return k.pairing("chan:") }
func (k keys) pendingAll() string        { return k.pairing("pending") }
func (k keys) pending(typ string) string { return k.pairing("pending:" + typ) }
func (k keys) pendingSeq() string        { return k.pairing("seq:pending") }
func (k keys) paired() string            { return k.pairing("paired") }
func (k keys) pairedIndex() string       { return k.pairing("paired:index") }
func (k keys) audit() string             { return k.pairing("audit") }
func (k keys) auditSeq() string          { return k.pairing("audit:seq") }
func (k keys) session(key string) string { return k.prefix + "session:" + key }

func (k keys) channel(typ, id string) string { return k.chanPrefix() + channelField(typ, id) }

// channelField is the unambiguous name of a channel: the byte length of
// its type, the type and the id. The Lua scripts build the same string.
func channelField(typ, id string) string {
	return strconv.Itoa(len(typ)) + ":" + typ + ":" + id
}

// Version is the version the plugin reports to the host.
const Version = "0.1.0"

// ServeConfig returns the plugin description that the plugin's main hands
// to plugin.Serve: name "redis", serving Pairing and Sessions, each
// instance opened from its own config block.
func ServeConfig() plugin.ServeConfig {
	return plugin.ServeConfig{
		Name:    "redis",
		Version: Version,
		Schema:  Schema,
		Pairing: func(ctx context.Context, raw json.RawMessage) (plugin.Pairing, error) {
			s, err := OpenJSON(ctx, raw)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
		Sessions: func(ctx context.Context, raw json.RawMessage) (plugin.Sessions, error) {
			s, err := OpenJSON(ctx, raw)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
	}
}
