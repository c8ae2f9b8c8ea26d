package supervisor

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestCallErrorOfAClosedConnection pins how a call cut by the plugin's
// death is reported: gRPC cancels the calls of a connection that is
// closing, and that must read as unavailable (HTTP 503), never as the
// caller's own cancellation (which the API cannot map and answers 500,
// or, in the auth chain, as refused credentials).
func TestCallErrorOfAClosedConnection(t *testing.T) {
	closing := plugin.FromStatus(status.Error(codes.Canceled, "grpc: the client connection is closing"))
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	p := &Plugin{key: "auth.tokens"}

	tests := []struct {
		name        string
		ctx         context.Context
		unavailable bool
		canceled    bool
	}{
		{"caller still waiting", context.Background(), true, false},
		{"caller gave up", gone, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.callError(tt.ctx, "Check", closing)
			if got := errors.Is(err, plugin.ErrUnavailable); got != tt.unavailable {
				t.Errorf("callError() = %v; unavailable %v, want %v", err, got, tt.unavailable)
			}
			if got := errors.Is(err, plugin.ErrCanceled); got != tt.canceled {
				t.Errorf("callError() = %v; canceled %v, want %v", err, got, tt.canceled)
			}
		})
	}
}
