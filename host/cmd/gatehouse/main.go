// Command gatehouse is the Gatehouse host: it serves the HTTP API with
// its plugins, validates configs and operates a running host. See
// `gatehouse --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/gatehouse/gatehouse/host/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
