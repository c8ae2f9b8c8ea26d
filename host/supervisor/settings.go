package supervisor

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/plugin"
)

// Defaults for block settings left at zero. The config package normally
// fills these in; the supervisor keeps its own so that a zero block is
// still safe.
const (
	defaultCallTimeout    = 5 * time.Second
	defaultStartTimeout   = 10 * time.Second
	defaultStopTimeout    = 5 * time.Second
	defaultHealthInterval = 10 * time.Second
	defaultMaxRestarts    = 5
	defaultRestartWindow  = 10 * time.Minute
	defaultBackoffInitial = 250 * time.Millisecond
	defaultBackoffMax     = 30 * time.Second
)

// settings are the effective settings of one plugin block.
type settings struct {
	call, start, stop, health time.Duration
	maxRestarts               int
	maxMessage                int
	window                    time.Duration
	backoffInitial            time.Duration
	backoffMax                time.Duration
}

func settingsOf(b *config.PluginBlock, o Options) settings {
	return settings{
		call:           orDefault(b.CallTimeout, defaultCallTimeout),
		start:          orDefault(b.StartTimeout, defaultStartTimeout),
		stop:           orDefault(b.StopTimeout, defaultStopTimeout),
		health:         orDefault(b.HealthInterval, defaultHealthInterval),
		maxRestarts:    orDefault(b.MaxRestarts, defaultMaxRestarts),
		maxMessage:     orDefault(b.MaxMessageBytes, plugin.DefaultMaxMessageBytes),
		window:         orDefault(o.RestartWindow, defaultRestartWindow),
		backoffInitial: orDefault(o.BackoffInitial, defaultBackoffInitial),
		backoffMax:     orDefault(o.BackoffMax, defaultBackoffMax),
	}
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// maxSocketPath is the longest Unix socket path Linux accepts: sun_path
// holds 108 bytes including the final NUL.
const maxSocketPath = 107

// socketSuffix is the longest part go-plugin adds below the socket
// directory: "/plugin-dir" + 10 digits + "/plugin" + 10 digits.
const socketSuffix = len("/plugin-dir") + 10 + len("/plugin") + 10

// socketDir returns a private directory for go-plugin's sockets: dir
// itself when set (created 0700 when missing, refused when others may
// enter it), or a new directory under TMPDIR that the caller removes.
func socketDir(dir string) (path string, created bool, err error) {
	if dir == "" {
		if dir, err = os.MkdirTemp("", "gh"); err != nil {
			return "", false, fmt.Errorf("socket directory: %w", err)
		}
		created = true
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", false, fmt.Errorf("socket directory: %w", err)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return "", false, fmt.Errorf("socket directory: %w", err)
	}
	if err := checkSocketDir(dir); err != nil {
		if created {
			_ = os.RemoveAll(dir)
		}
		return "", false, err
	}
	return dir, created, nil
}

func checkSocketDir(dir string) error {
	abs := dir
	if n := len(abs) + socketSuffix; n > maxSocketPath {
		return fmt.Errorf("socket directory %q is too long: plugin socket paths would reach %d bytes, "+
			"the limit is %d; set TMPDIR (or the host's socket directory) to a path of at most %d bytes: %w",
			abs, n, maxSocketPath, maxSocketPath-socketSuffix, plugin.ErrInvalid)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("socket directory: %w", err)
	}
	if !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("socket directory %q must be a directory only its owner can use (mode 0700), has %v: %w",
			abs, fi.Mode(), plugin.ErrDenied)
	}
	return nil
}
