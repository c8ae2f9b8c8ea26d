package store

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/plugin"

	"github.com/gatehouse/gatehouse/plugin/storetest"
)

// conformance runs the shared kit against b in process and through the
// gRPC adapters, then checks that no key landed outside the prefix.
func conformance(t *testing.T, b backend) {
	// One binding that outlives the run, so the scan has a key to see
	// even when -run selects a check that leaves none.
	s := open(t, b.config(t))
	if err := s.Bind(t.Context(), "witness", plugin.Principal{UserID: "w"}, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	t.Run("Direct", func(t *testing.T) { storetest.Run(t, directFactory(b)) })
	t.Run("Wire", func(t *testing.T) { storetest.Run(t, wireFactory(b)) })
	b.assertPrefixed(t, aclPrefix)
}

// TestConformanceStandalone runs the kit against one redis-server.
func TestConformanceStandalone(t *testing.T) { conformance(t, standalone(t)) }

// TestConformanceACL runs the kit as an ACL user that may only touch keys
// under the prefix, so any key outside it fails with NOPERM.
func TestConformanceACL(t *testing.T) { conformance(t, restricted(t)) }

// TestConformanceCluster runs the kit on a three-node Cluster: every
// script must find all its keys on one slot.
func TestConformanceCluster(t *testing.T) { conformance(t, cluster(t)) }

// TestSemantics runs the Redis-focused checks against one redis-server.
func TestSemantics(t *testing.T) {
	b := standalone(t)
	t.Run("Direct", func(t *testing.T) { semantics(t, directFactory(b)) })
	t.Run("Wire", func(t *testing.T) { semantics(t, wireFactory(b)) })
}

// TestConformanceSentinel runs the kit in process through a Sentinel
// that names the primary.
func TestConformanceSentinel(t *testing.T) {
	primary := testenv.StartRedis(t, testenv.RedisOptions{})
	sentinel := testenv.StartRedisSentinel(t, primary, "gatehouse")
	b := newBackend(t, "sentinel", []string{primary.Addr}, "", "")
	factory := func(t *testing.T, opts storetest.Options) func() storetest.Stores {
		cfg := kitConfig(t, b, opts)
		cfg.Addresses, cfg.MasterName = []string{sentinel.Addr}, "gatehouse"
		return func() storetest.Stores {
			s := open(t, cfg)
			return storetest.Stores{Pairing: s, Sessions: s}
		}
	}
	storetest.Run(t, factory)
	if keys := b.allKeys(t); len(keys) == 0 {
		t.Error("no keys on the primary after the kit ran through the Sentinel")
	}
}
