package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPluginsLeaveWithTheHost checks that the plugins run as children of
// the host and that none is left a few seconds after SIGINT.
func TestPluginsLeaveWithTheHost(t *testing.T) {
	w := startWorld(t)
	kids := pluginChildren(t, w.host.PID)
	if len(kids) != 3 {
		t.Fatalf("plugin children of the host = %v, want 3 (token-auth and two sqlite)", kids)
	}

	if err := w.host.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := w.host.Wait(30 * time.Second); err != nil {
		t.Fatalf("host after SIGINT: %v\n%s", err, w.host.Log())
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		alive := aliveOf(kids)
		if len(alive) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("plugin processes %v still alive after the host exited", alive)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pluginChildren returns the PIDs of the host's children that run a
// plugin binary.
func pluginChildren(t *testing.T, host int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("read /proc: %v", err)
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || parentOf(pid) != host {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && strings.HasPrefix(filepath.Base(exe), "gatehouse-plugin-") {
			out = append(out, pid)
		}
	}
	return out
}

// parentOf reads the parent PID from /proc/<pid>/stat; -1 when unknown.
func parentOf(pid int) int {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return -1
	}
	// The command name may hold spaces; fields after the last ')' are
	// plain: state, ppid, …
	i := strings.LastIndexByte(string(stat), ')')
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 2 {
		return -1
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

// aliveOf returns the PIDs that still run; zombies count as gone.
func aliveOf(pids []int) []int {
	var out []int
	for _, pid := range pids {
		stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(stat), ')')
		if fields := strings.Fields(string(stat[i+1:])); len(fields) > 0 && fields[0] == "Z" {
			continue
		}
		out = append(out, pid)
	}
	return out
}
