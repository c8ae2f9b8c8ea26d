package plugin

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The error vocabulary shared by the host and every plugin. Wrap one of
// these with context (fmt.Errorf("code %s: %w", c, ErrNotFound)); it
// crosses the wire as a gRPC code and comes back as the same sentinel, so
// callers on either side use errors.Is.
var (
	ErrNotFound        = errors.New("not found")
	ErrInvalid         = errors.New("invalid argument")
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrDenied          = errors.New("permission denied")
	ErrConflict        = errors.New("conflict")
	ErrTooManyPending  = errors.New("too many pending requests")
	ErrUnavailable     = errors.New("unavailable")
	ErrTimeout         = errors.New("deadline exceeded")
	ErrCanceled        = errors.New("canceled")
	ErrUnimplemented   = errors.New("not implemented")
	ErrInternal        = errors.New("internal error")
)

// codeOf pairs each sentinel with its gRPC code.
var codeOf = []struct {
	err  error
	code codes.Code
}{
	{ErrNotFound, codes.NotFound},
	{ErrInvalid, codes.InvalidArgument},
	{ErrUnauthenticated, codes.Unauthenticated},
	{ErrDenied, codes.PermissionDenied},
	{ErrConflict, codes.Aborted},
	{ErrTooManyPending, codes.ResourceExhausted},
	{ErrUnavailable, codes.Unavailable},
	{ErrTimeout, codes.DeadlineExceeded},
	{ErrCanceled, codes.Canceled},
	{ErrUnimplemented, codes.Unimplemented},
	{ErrInternal, codes.Internal},
}

// wireError is an error that came back over gRPC: its text is the remote
// message and it unwraps to the sentinel of its code.
type wireError struct {
	kind error
	msg  string
}

func (e *wireError) Error() string { return e.msg }
func (e *wireError) Unwrap() error { return e.kind }

// ToStatus converts err to a gRPC status error carrying its code. Errors
// outside the vocabulary become Internal.
func ToStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok && !isVocabulary(err) {
		return err
	}
	return status.Error(CodeOf(err), err.Error())
}

// CodeOf returns the gRPC code for err.
func CodeOf(err error) codes.Code {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	}
	for _, c := range codeOf {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return codes.Internal
}

// FromStatus converts a gRPC error into the vocabulary. Transport failures
// (the plugin exited, the connection broke) become ErrUnavailable.
func FromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return &wireError{ErrTimeout, err.Error()}
		case errors.Is(err, context.Canceled):
			return &wireError{ErrCanceled, err.Error()}
		}
		return &wireError{ErrInternal, err.Error()}
	}
	kind := ErrInternal
	for _, c := range codeOf {
		if c.code == st.Code() {
			kind = c.err
			break
		}
	}
	return &wireError{kind, st.Message()}
}

func isVocabulary(err error) bool {
	for _, c := range codeOf {
		if errors.Is(err, c.err) {
			return true
		}
	}
	return false
}
