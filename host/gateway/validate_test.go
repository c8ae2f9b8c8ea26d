package gateway

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestValidateGolden pins the diagnostics of configs whose plugin binaries
// are wrong. Each testdata/validate/<name>.hcl has its output in
// <name>.golden, with the testdata path written as <dir>.
func TestValidateGolden(t *testing.T) {
	for _, name := range []string{"missing_binary", "checksum_mismatch"} {
		t.Run(name, func(t *testing.T) {
			dir, err := filepath.Abs(filepath.Join("testdata", "validate"))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			err = Validate(t.Context(), filepath.Join(dir, name+".hcl"), &out, nil)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate(%s) = %v, want ErrInvalidConfig", name, err)
			}
			got := strings.ReplaceAll(out.String(), dir, "<dir>")

			golden := filepath.Join("testdata", "validate", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run with -update to create it): %v", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Fatalf("Validate(%s) diagnostics (-want +got):\n%s", name, diff)
			}
		})
	}
}
