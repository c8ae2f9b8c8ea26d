package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/testenv"
)

// TestValidate runs `gatehouse validate` on a good config and on one with
// a typo inside a plugin's block, which only the plugin's schema can
// catch.
func TestValidate(t *testing.T) {
	plugins := testenv.PluginDir(testenv.BuildBinaries(t))
	good := fmt.Sprintf("plugin_dir = %q\n", plugins) +
		strings.ReplaceAll(testenv.TokenSQLiteConfig("tokens.json"), "{{.Dir}}", "data")
	tests := []struct {
		name   string
		config string
		code   int
		want   string
	}{
		{"valid", good, 0, ""},
		{"typo in a plugin block", strings.Replace(good, "tokens_file", "tokens_fille", 1), 3,
			`An argument named "tokens_fille" is not expected here`},
		{"unknown plugin", strings.Replace(good, `"token-auth"`, `"token-auht"`, 1), 3,
			"Plugin binary not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.hcl")
			if err := os.WriteFile(path, []byte(tt.config), 0o600); err != nil {
				t.Fatal(err)
			}
			_, stderr, code := gatehouse(t, dir, "validate", "--config", path)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Fatalf("validate exited %d with\n%s\nwant %d and %q", code, stderr, tt.code, tt.want)
			}
			if tt.code != 0 && !strings.Contains(stderr, "config.hcl line ") {
				t.Fatalf("diagnostics do not name the file and line:\n%s", stderr)
			}
		})
	}
}
