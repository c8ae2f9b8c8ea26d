package cli

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

func TestExitCodes(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.Header.Get("Authorization") {
		case "Bearer good":
			w.Write([]byte(`{"items":[]}`))
		case "Bearer channel":
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"error":{"code":"forbidden","message":"no"}}`))
		default:
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":{"code":"unauthenticated","message":"no"}}`))
		}
	}))
	t.Cleanup(api.Close)
	missing := filepath.Join(t.TempDir(), "nope.hcl")

	tests := []struct {
		name string
		args []string
		want int
	}{
		{"help", []string{"--help"}, ExitOK},
		{"unknown command", []string{"frobnicate"}, ExitUsage},
		{"unknown flag", []string{"validate", "--nope"}, ExitUsage},
		{"extra argument", []string{"pairing", "approve", "telegram"}, ExitUsage},
		{"unreadable config", []string{"validate", "--config", missing}, ExitInvalidConfig},
		{"listed", []string{"pairing", "pending", "--addr", api.URL, "--token", "good"}, ExitOK},
		{"forbidden", []string{"pairing", "pending", "--addr", api.URL, "--token", "channel"}, ExitDenied},
		{"no token", []string{"whoami", "--addr", api.URL}, ExitDenied},
		{"host down", []string{"whoami", "--addr", "http://127.0.0.1:1"}, ExitFailure},
		{"mint without role", []string{"token", "mint", "--user", "a"}, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvToken, "")
			var out, errb bytes.Buffer
			if got := Execute(t.Context(), tt.args, &out, &errb); got != tt.want {
				t.Fatalf("gatehouse %s = %d (%s), want %d", strings.Join(tt.args, " "), got, errb.String(), tt.want)
			}
		})
	}
}
