package store

import (
	"testing"
)

// TestStandalone runs the semantics against one redis-server, in process
// and through the gRPC adapters.
func TestStandalone(t *testing.T) {
	b := standalone(t)
	t.Run("Direct", func(t *testing.T) { semantics(t, directFactory(b)) })
	t.Run("Wire", func(t *testing.T) { semantics(t, wireFactory(b)) })
	b.assertPrefixed(t, aclPrefix)
}

// TestACL runs the semantics as an ACL user that may only touch keys
// under the prefix: any key outside it would fail with NOPERM.
func TestACL(t *testing.T) {
	b := restricted(t)
	t.Run("Direct", func(t *testing.T) { semantics(t, directFactory(b)) })
	t.Run("Wire", func(t *testing.T) { semantics(t, wireFactory(b)) })
	b.assertPrefixed(t, aclPrefix)
}

// TestCluster runs the semantics on a three-node Cluster: every script
// must find its keys on one slot.
func TestCluster(t *testing.T) {
	b := cluster(t)
	t.Run("Direct", func(t *testing.T) { semantics(t, directFactory(b)) })
	t.Run("Wire", func(t *testing.T) { semantics(t, wireFactory(b)) })
	b.assertPrefixed(t, aclPrefix)
}
