package main

import (
	"bytes"
	"crypto/rand"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
)

// spawnChildren starts FAULT_CHILDREN copies of this binary as children;
// each starts a grandchild in a new session, out of the plugin's process
// group. They run until killed and inherit the environment, so a test can
// find them by a marker variable.
func spawnChildren() {
	n, _ := strconv.Atoi(os.Getenv("FAULT_CHILDREN"))
	for range n {
		start("child", false)
	}
}

func runChild() {
	start("grandchild", true)
	select {}
}

func start(role string, newSession bool) {
	self, err := os.Executable()
	if err != nil {
		os.Exit(5)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), "FAULT_ROLE="+role)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: newSession}
	// Children hold the plugin's stderr open, as careless children do.
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		os.Exit(5)
	}
}

// ignoreSignals makes the plugin deaf to the polite ways of stopping it.
func ignoreSignals() {
	signal.Ignore(syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
}

// hostileBytes bounds the hostile output, to spare the test machine.
const hostileBytes = 64 << 20

// hostileStderr writes 64 MiB of one kind to the real stderr, bypassing
// go-plugin's redirection of os.Stderr, then one ordinary line.
func hostileStderr(kind string) {
	w := os.NewFile(2, "stderr")
	var chunk []byte
	switch kind {
	case "flood":
		chunk = bytes.Repeat([]byte("flood line of a chatty plugin\n"), 1000)
	case "binary":
		chunk = make([]byte, 64<<10)
		_, _ = rand.Read(chunk)
	case "longline":
		chunk = bytes.Repeat([]byte("y"), 64<<10)
	default:
		return
	}
	for written := 0; written < hostileBytes; written += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
	_, _ = w.WriteString("\nfault: hostile output done\n")
}
