// Command faultplugin is a Gatehouse plugin that misbehaves on request,
// built only by tests of the host. It serves Auth and Pairing; what goes
// wrong is chosen through its environment (the block's env), so that it
// does not depend on config decoding:
//
//	FAULT_EXIT_BEFORE=code     print to stderr and exit before the handshake
//	FAULT_STDOUT_BEFORE=kind   write to stdout before the handshake:
//	                           "garbage" (one bad line), "huge" (1 MiB, no newline)
//	                           or "binary" (random bytes)
//	FAULT_START_DELAY=dur      sleep before the handshake
//	FAULT_CRASH_ON=method      panic inside that call (Check or IsPaired)
//	FAULT_HANG_ON=method       never answer that call
//	FAULT_IGNORE_SHUTDOWN=1    ignore SIGTERM/SIGINT and keep running after
//	                           the host asks it to shut down
//	FAULT_CHILDREN=n           start n children, each starting a grandchild
//	                           that moves to its own session
//	FAULT_STDERR=kind          from the start, write to the real stderr:
//	                           "flood" (many lines), "binary" (random junk),
//	                           "longline" (one line without newline), 64 MiB in all
//	FAULT_HUGE=n               Check answers with n bytes of metadata
//
// Check succeeds for "Authorization: Bearer good" as user "alice"; it
// panics for "Bearer crash" and never answers "Bearer hang".
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

func main() {
	switch os.Getenv("FAULT_ROLE") {
	case "child":
		runChild()
		return
	case "grandchild":
		select {}
	}
	if kind := os.Getenv("FAULT_STDERR"); kind != "" {
		go hostileStderr(kind)
	}
	beforeHandshake()
	spawnChildren()
	ignoreShutdown := os.Getenv("FAULT_IGNORE_SHUTDOWN") != ""
	if ignoreShutdown {
		ignoreSignals()
	}

	plugin.Logger().Info("fault plugin serving", "marker", os.Getenv("FAULT_MARK"))
	plugin.Serve(plugin.ServeConfig{
		Name:    "fault",
		Version: "0.0.1-test",
		Schema: plugin.Schema{Attributes: []plugin.Attribute{
			{Name: "note", Type: "string", Description: "Ignored."},
		}},
		Auth: func(context.Context, json.RawMessage) (plugin.Auth, error) {
			return auth{}, nil
		},
		Pairing: func(context.Context, json.RawMessage) (plugin.Pairing, error) {
			return pairing{}, nil
		},
	})
	if ignoreShutdown {
		select {}
	}
}

// beforeHandshake applies the faults that happen before go-plugin speaks.
func beforeHandshake() {
	if code := os.Getenv("FAULT_EXIT_BEFORE"); code != "" {
		os.Stderr.WriteString("fault: exiting before the handshake as asked\n")
		n, _ := strconv.Atoi(code)
		os.Exit(n)
	}
	switch os.Getenv("FAULT_STDOUT_BEFORE") {
	case "garbage":
		os.Stdout.WriteString("hello from a plugin that talks too much\n")
	case "huge":
		os.Stdout.Write([]byte(strings.Repeat("x", 1<<20)))
	case "binary":
		junk := make([]byte, 4096)
		_, _ = rand.Read(junk)
		os.Stdout.Write(junk)
	}
	if d, err := time.ParseDuration(os.Getenv("FAULT_START_DELAY")); err == nil {
		time.Sleep(d)
	}
}

// fault applies the call faults configured for method.
func fault(method string) {
	if os.Getenv("FAULT_CRASH_ON") == method {
		crash(method)
	}
	if os.Getenv("FAULT_HANG_ON") == method {
		select {}
	}
}

// crash panics: the Go runtime writes the panic to the real stderr and
// exits with status 2.
func crash(method string) {
	panic("fault: crashing in " + method)
}

type auth struct{}

func (auth) Check(_ context.Context, req *plugin.CheckRequest) (plugin.CheckResult, error) {
	fault("Check")
	switch req.Header.Get("Authorization") {
	case "Bearer crash":
		crash("Check")
	case "Bearer hang":
		select {}
	}
	if req.Header.Get("Authorization") != "Bearer good" {
		return plugin.CheckResult{Outcome: plugin.OutcomeNoCredential}, nil
	}
	res := plugin.CheckResult{Outcome: plugin.OutcomeSuccess, Principal: plugin.Principal{UserID: "alice", Role: "user"}}
	if n, _ := strconv.Atoi(os.Getenv("FAULT_HUGE")); n > 0 {
		res.Principal.Metadata = map[string]any{"blob": strings.Repeat("a", n)}
	}
	return res, nil
}

// pairing answers only IsPaired: "paired" is paired, nothing else is.
// Its other methods panic, which kills the plugin.
type pairing struct{ plugin.Pairing }

func (pairing) IsPaired(_ context.Context, channelID, _ string) (bool, error) {
	fault("IsPaired")
	return channelID == "paired", nil
}
