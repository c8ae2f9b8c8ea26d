package supervisor_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/host/supervisor"
	"github.com/gatehouse/gatehouse/plugin"
)

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	body := []byte("#!/bin/sh\n")
	sum := sha256.Sum256(body)
	want := hex.EncodeToString(sum[:])
	write := func(path string, mode os.FileMode) {
		if err := os.WriteFile(path, body, mode); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "gatehouse-plugin-ok"), 0o755)
	write(filepath.Join(dir, "gatehouse-plugin-noexec"), 0o644)
	write(filepath.Join(outside, "gatehouse-plugin-evil"), 0o755)
	if err := os.Symlink(filepath.Join(outside, "gatehouse-plugin-evil"), filepath.Join(dir, "gatehouse-plugin-escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("gatehouse-plugin-ok", filepath.Join(dir, "gatehouse-plugin-alias")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "gatehouse-plugin-dir"), 0o755); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, plugin, pin string
		wantErr           error
		wantMsg           string
	}{
		{"found", "ok", "", nil, ""},
		{"pin matches", "ok", strings.ToUpper(want), nil, ""},
		{"symlink inside", "alias", "", nil, ""},
		{"missing", "nope", "", plugin.ErrNotFound, `gatehouse-plugin-nope" does not exist`},
		{"pin mismatch", "ok", strings.Repeat("0", 64), plugin.ErrDenied, "has sha256 " + want + ", config pins 0000"},
		{"not executable", "noexec", "", plugin.ErrInvalid, "not executable"},
		{"directory", "dir", "", plugin.ErrInvalid, "not a regular file"},
		{"symlink escaping", "escape", "", plugin.ErrDenied, "outside plugin_dir"},
		{"separator", "../x", "", plugin.ErrInvalid, "plain file name"},
		{"empty", "", "", plugin.ErrInvalid, "plain file name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &config.PluginBlock{Protocol: plugin.ProtocolAuth, Name: "x", Plugin: tt.plugin, SHA256: tt.pin}
			path, got, err := supervisor.Resolve(dir, b)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("Resolve(%q) = %v, want %v mentioning %q", tt.plugin, err, tt.wantErr, tt.wantMsg)
				}
				return
			}
			if err != nil || got != want || filepath.Dir(path) != dir {
				t.Errorf("Resolve(%q) = %q, %q, %v; want a path in dir, %s", tt.plugin, path, got, err, want)
			}
		})
	}
}

func TestProbe(t *testing.T) {
	b, marker := faultBlock(t)
	info, err := supervisor.Probe(t.Context(), pluginDir, b, supervisor.Options{})
	if err != nil {
		t.Fatalf("Probe() = %v", err)
	}
	if info.Name != "fault" || len(info.Protocols) != 2 || len(info.Schema.Attributes) != 1 {
		t.Errorf("Probe() = %+v, want the fault plugin's info", info)
	}
	waitGone(t, marker)
}

// TestRestartRunsOnlyTheResolvedBinary replaces a pinned plugin's binary
// on disk and crashes the plugin: the restart must not run the new file.
func TestRestartRunsOnlyTheResolvedBinary(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "gatehouse-plugin-fault")
	orig, err := os.ReadFile(filepath.Join(pluginDir, "gatehouse-plugin-fault"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, orig, 0o755); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(orig)
	b, _ := faultBlock(t)
	b.SHA256 = hex.EncodeToString(sum[:])
	p, err := supervisor.Start(t.Context(), dir, b, testOptions(nil))
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	t.Cleanup(func() { _ = p.Stop(t.Context()) })

	ran := filepath.Join(dir, "ran")
	swapped := filepath.Join(dir, "swapped")
	if err := os.WriteFile(swapped, []byte("#!/bin/sh\ntouch "+ran+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(swapped, bin); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(p.Status().PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a refused restart", func() bool {
		return strings.Contains(p.Status().LastError, "changed on disk")
	})
	if _, err := os.Stat(ran); err == nil {
		t.Errorf("the restart ran the replaced binary")
	}
	if _, err := check(t, p.Auth()); !errors.Is(err, plugin.ErrUnavailable) {
		t.Errorf("Check() = %v, want ErrUnavailable", err)
	}
}
