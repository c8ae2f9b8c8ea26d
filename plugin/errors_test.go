package plugin

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestErrorsCrossTheWire(t *testing.T) {
	for _, c := range codeOf {
		t.Run(c.err.Error(), func(t *testing.T) {
			sent := fmt.Errorf("code ABCD2345: %w", c.err)
			st := ToStatus(sent)
			if got := status.Code(st); got != c.code {
				t.Errorf("ToStatus(%v) code = %v, want %v", sent, got, c.code)
			}
			back := FromStatus(st)
			if !errors.Is(back, c.err) {
				t.Errorf("FromStatus(ToStatus(%v)) = %v, want errors.Is %v", sent, back, c.err)
			}
			if back.Error() != sent.Error() {
				t.Errorf("FromStatus(ToStatus(%v)).Error() = %q, want %q", sent, back, sent)
			}
		})
	}
}

func TestErrorsOutsideTheVocabulary(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"plain error", errors.New("boom"), ErrInternal},
		{"deadline", context.DeadlineExceeded, ErrTimeout},
		{"canceled", fmt.Errorf("call: %w", context.Canceled), ErrCanceled},
		{"unknown code", status.Error(codes.DataLoss, "lost"), ErrInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FromStatus(ToStatus(tt.err)); !errors.Is(got, tt.want) {
				t.Errorf("FromStatus(ToStatus(%v)) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
	if ToStatus(nil) != nil || FromStatus(nil) != nil {
		t.Error("nil errors must stay nil both ways")
	}
}
