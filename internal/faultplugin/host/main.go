// Command host is a minimal Gatehouse host for tests: it starts the fault
// plugin from the directory in its first argument, with children and the
// marker in its second argument, prints "ready <pid>" and waits to be
// killed. A test kills it with SIGKILL and checks that nothing it started
// survives.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/host/supervisor"
	"github.com/gatehouse/gatehouse/plugin"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: host <plugin-dir> <marker>")
		os.Exit(2)
	}
	b := &config.PluginBlock{
		Protocol: plugin.ProtocolAuth, Name: "fault", Plugin: "fault",
		Env:          map[string]string{"FAULT_CHILDREN": "2", "FAULT_MARK": os.Args[2]},
		StartTimeout: 20 * time.Second,
	}
	p, err := supervisor.Start(context.Background(), os.Args[1], b, supervisor.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("ready %d\n", p.Status().PID)
	select {}
}
