package supervisor

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/shared"
)

// Resolve finds the binary of block b inside dir and checks it: it must be
// a regular executable file that stays inside dir once symlinks are
// followed, and must match the block's sha256 pin when one is set. It
// returns the binary's path and its sha256 in lower-case hex.
func Resolve(dir string, b *config.PluginBlock) (path, sum string, err error) {
	name := b.Plugin
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`+"\x00") {
		return "", "", fmt.Errorf("plugin name %q: must be a plain file name: %w", name, plugin.ErrInvalid)
	}
	path = filepath.Join(dir, shared.BinaryPrefix+name)
	real, err := insideDir(dir, path)
	if err != nil {
		return "", "", err
	}
	if sum, err = checkBinary(path, real); err != nil {
		return "", "", err
	}
	if err := checkPin(path, sum, b.SHA256); err != nil {
		return "", "", err
	}
	return path, sum, nil
}

// insideDir returns path with symlinks resolved, refusing a path that
// leaves dir.
func insideDir(dir, path string) (string, error) {
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("plugin_dir %q: %w", dir, notFound(err))
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("plugin binary %q %w", path, notFound(err))
	}
	rel, err := filepath.Rel(realDir, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("plugin binary %q resolves to %q, outside plugin_dir: %w",
			path, real, plugin.ErrDenied)
	}
	return real, nil
}

func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("does not exist (%w)", plugin.ErrNotFound)
	}
	return err
}

// checkBinary checks that real is a regular executable file and returns
// its sha256.
func checkBinary(path, real string) (string, error) {
	f, err := os.Open(real)
	if err != nil {
		return "", fmt.Errorf("plugin binary %q: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("plugin binary %q: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("plugin binary %q is not a regular file: %w", path, plugin.ErrInvalid)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("plugin binary %q is not executable: %w", path, plugin.ErrInvalid)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("plugin binary %q: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkPin compares sum with the pinned sum in constant time.
func checkPin(path, sum, pin string) error {
	if pin == "" {
		return nil
	}
	want := strings.ToLower(strings.TrimSpace(pin))
	if subtle.ConstantTimeCompare([]byte(sum), []byte(want)) != 1 {
		return fmt.Errorf("plugin binary %q has sha256 %s, config pins %s: %w",
			path, sum, want, plugin.ErrDenied)
	}
	return nil
}

// unchanged reports an error when the binary at path no longer has the
// sha256 sum it had when it was resolved.
func unchanged(path, sum string) error {
	now, err := checkBinary(path, path)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(now), []byte(sum)) != 1 {
		return fmt.Errorf("plugin binary %q changed on disk (sha256 %s, resolved as %s); reload to run it: %w",
			path, now, sum, plugin.ErrDenied)
	}
	return nil
}
