package plugin

import "fmt"

// Limits on input sizes, the same in every store; package storetest
// checks them. Longer input fails with ErrInvalid.
const (
	// MaxIDBytes bounds channel types and ids, user ids, actors, roles and
	// session keys.
	MaxIDBytes = 256
	// MaxLabelBytes bounds user names and labels.
	MaxLabelBytes = 1024
	// MaxPrincipalBytes bounds a principal encoded as JSON.
	MaxPrincipalBytes = 64 << 10
)

// Field is one input value a store checks before touching its backend.
type Field struct {
	Name     string
	Value    string
	Max      int
	Required bool
}

// ID is an optional identifier field.
func ID(name, value string) Field { return Field{name, value, MaxIDBytes, false} }

// RequiredID is an identifier field that must not be empty.
func RequiredID(name, value string) Field { return Field{name, value, MaxIDBytes, true} }

// Label is an optional free-text field.
func Label(name, value string) Field { return Field{name, value, MaxLabelBytes, false} }

// CheckFields fails with ErrInvalid on the first field that is missing or
// too long.
func CheckFields(fields ...Field) error {
	for _, f := range fields {
		switch {
		case f.Required && f.Value == "":
			return fmt.Errorf("%s is required: %w", f.Name, ErrInvalid)
		case len(f.Value) > f.Max:
			return fmt.Errorf("%s is longer than %d bytes: %w", f.Name, f.Max, ErrInvalid)
		}
	}
	return nil
}
