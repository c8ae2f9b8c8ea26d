package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/redis/go-redis/v9"
)

// backend is one Redis flavour the tests run against.
type backend struct {
	name  string
	addrs []string
	// user and password log the store in as a restricted ACL user.
	user, password string
	// tls is the tls block of the store configs; nil for plain TCP.
	tls *TLS
	// admin inspects the whole keyspace as the default user.
	admin redis.UniversalClient
}

const (
	aclUser     = "gh"
	aclPassword = "s3cret-pass"
	aclPrefix   = "gatehouse:"
)

// standalone starts a plain redis-server.
func standalone(t *testing.T) backend {
	r := testenv.StartRedis(t, testenv.RedisOptions{})
	return newBackend(t, "standalone", []string{r.Addr}, "", "")
}

// restricted starts a redis-server whose ACL user may only touch keys
// under aclPrefix.
func restricted(t *testing.T) backend {
	r := testenv.StartRedis(t, testenv.RedisOptions{
		User: aclUser, Password: aclPassword, KeyPrefix: aclPrefix,
	})
	return newBackend(t, "acl", []string{r.Addr}, aclUser, aclPassword)
}

// cluster starts a three-node Redis Cluster.
func cluster(t *testing.T) backend {
	nodes := testenv.StartRedisCluster(t, 3)
	addrs := make([]string, len(nodes))
	for i, n := range nodes {
		addrs[i] = n.Addr
	}
	return newBackend(t, "cluster", addrs, "", "")
}

func newBackend(t *testing.T, name string, addrs []string, user, password string) backend {
	admin := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: addrs, DisableIdentity: true})
	t.Cleanup(func() { admin.Close() })
	return backend{name: name, addrs: addrs, user: user, password: password, admin: admin}
}

// config returns a store config on b with a prefix of its own under
// aclPrefix, so tests sharing a server never see each other's keys.
func (b backend) config(t testing.TB) Config {
	cfg := Config{
		Addresses: b.addrs,
		Username:  b.user,
		Password:  b.password,
		KeyPrefix: aclPrefix + randomHex(t) + ":",
	}
	if b.tls != nil {
		tls := *b.tls
		cfg.TLS = &tls
	}
	return cfg
}

// open opens a store with cfg and closes it when the test ends.
func open(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open(%v) = %v", cfg.Addresses, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func randomHex(t testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// allKeys scans the whole keyspace of b (every primary on a Cluster)
// with SCAN, as the default user.
func (b backend) allKeys(t *testing.T) []string {
	t.Helper()
	var (
		mu   sync.Mutex // guards keys: ForEachMaster scans in parallel
		keys []string
	)
	scan := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, "*", 100).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			keys = append(keys, iter.Val())
			mu.Unlock()
		}
		return iter.Err()
	}
	var err error
	switch c := b.admin.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(t.Context(), scan)
	case *redis.Client:
		err = scan(t.Context(), c)
	}
	if err != nil {
		t.Fatalf("scan keys: %v", err)
	}
	return keys
}

// assertPrefixed fails the test for every key of b outside prefix. The
// caller makes sure that some keys exist.
func (b backend) assertPrefixed(t *testing.T, prefix string) {
	t.Helper()
	keys := b.allKeys(t)
	if len(keys) == 0 {
		t.Errorf("%s: no keys at all; the scan is broken", b.name)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			t.Errorf("%s: key %q is outside the prefix %q", b.name, k, prefix)
		}
	}
}

// waitUntil polls cond until it holds or a generous deadline passes.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still false after 30s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
