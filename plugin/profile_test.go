package plugin

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestStartCPUProfile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		path  string
		wrote bool
	}{
		{"unset", "", false},
		{"writable", filepath.Join(dir, "cpu.prof"), true},
		{"missing directory", filepath.Join(dir, "missing", "cpu.prof"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvCPUProfile, tc.path)
			stop := startCPUProfile(hclog.NewNullLogger())
			stop()
			if tc.path == "" {
				return
			}
			fi, err := os.Stat(tc.path)
			if wrote := err == nil && fi.Size() > 0; wrote != tc.wrote {
				t.Errorf("startCPUProfile(%q) wrote a profile = %v, want %v (stat: %v)", tc.path, wrote, tc.wrote, err)
			}
		})
	}
}
