// Package testenv starts the real programs that end-to-end tests drive:
// the gatehouse host with the plugin binaries built from this checkout,
// and the servers some plugins talk to. Everything it starts listens on
// loopback, lives in a temporary directory and is stopped by PID when the
// test ends.
package testenv

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// HostBinary is the name of the host binary in the directory that
// BuildBinaries returns; plugins are under PluginSubdir.
const (
	HostBinary   = "gatehouse"
	PluginSubdir = "plugins"
)

var build struct {
	once sync.Once
	dir  string
	err  error
}

// BuildBinaries builds the host and every plugin under plugins/ that has
// a main package, once per test process, and returns the directory
// holding bin/gatehouse-like layout: <dir>/gatehouse and
// <dir>/plugins/gatehouse-plugin-<name>. The directory is stable for the
// calling package, so repeated runs overwrite rather than pile up.
func BuildBinaries(t testing.TB) (binDir string) {
	t.Helper()
	build.once.Do(func() { build.dir, build.err = buildAll() })
	if build.err != nil {
		t.Fatalf("build binaries: %v", build.err)
	}
	return build.dir
}

// PluginDir returns the plugin directory inside binDir.
func PluginDir(binDir string) string { return filepath.Join(binDir, PluginSubdir) }

func buildAll() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	dir, err := buildDir()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(PluginDir(dir), 0o755); err != nil {
		return "", fmt.Errorf("make %s: %w", dir, err)
	}

	if err := goBuild(root, filepath.Join(dir, HostBinary), "./host/cmd/gatehouse"); err != nil {
		return "", err
	}
	plugins, err := pluginMains(root)
	if err != nil {
		return "", err
	}
	for _, name := range plugins {
		out := filepath.Join(PluginDir(dir), "gatehouse-plugin-"+name)
		if err := goBuild(root, out, "./plugins/"+name); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// buildDir is a directory under the system temp dir named after the
// calling package's directory.
func buildDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	sum := sha256.Sum256([]byte(wd))
	return filepath.Join(os.TempDir(), "gatehouse-testbin-"+hex.EncodeToString(sum[:6])), nil
}

func goBuild(root, out, pkg string) error {
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(gobin, "build", "-o", out, pkg)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, stderr.String())
	}
	return nil
}

// pluginMains lists the folders under plugins/ whose top level is a main
// package.
func pluginMains(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, "plugins"))
	if err != nil {
		return nil, fmt.Errorf("list plugins: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && isMain(filepath.Join(root, "plugins", e.Name(), "main.go")) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

func isMain(path string) bool {
	src, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(src)) {
		if strings.TrimSpace(line) == "package main" {
			return true
		}
	}
	return false
}

// ModuleRoot returns the directory of the repository's go.mod, found by
// walking up from the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
