package store

import (
	"fmt"

	"github.com/gatehouse/gatehouse/plugin"
)

// Limits on input sizes, the same in every Gatehouse store (see package
// storetest). Longer input fails with plugin.ErrInvalid.
const (
	maxIDBytes        = 256      // channel types and ids, user ids, actors, session keys, roles
	maxLabelBytes     = 1024     // user names and labels
	maxPrincipalBytes = 64 << 10 // a principal encoded as JSON
)

// field is one input value with its name and limits.
type field struct {
	name     string
	value    string
	max      int
	required bool
}

// id is a field holding an identifier.
func id(name, value string, required bool) field {
	return field{name: name, value: value, max: maxIDBytes, required: required}
}

// label is an optional free-text field.
func label(name, value string) field {
	return field{name: name, value: value, max: maxLabelBytes}
}

// check fails with plugin.ErrInvalid on the first field that is missing or
// too long.
func check(fields ...field) error {
	for _, f := range fields {
		switch {
		case f.required && f.value == "":
			return fmt.Errorf("%s is required: %w", f.name, plugin.ErrInvalid)
		case len(f.value) > f.max:
			return fmt.Errorf("%s is longer than %d bytes: %w", f.name, f.max, plugin.ErrInvalid)
		}
	}
	return nil
}
