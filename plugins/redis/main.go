// Command gatehouse-plugin-redis serves Gatehouse pairing and sessions on
// Redis, Sentinel or Cluster, for several hosts that share one state.
package main

import (
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/plugins/redis/store"
)

func main() {
	store.SetClientLogger(plugin.Logger())
	plugin.Serve(store.ServeConfig())
}
