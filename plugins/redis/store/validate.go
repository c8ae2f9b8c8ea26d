package store

import (
	"fmt"

	"github.com/gatehouse/gatehouse/plugin"
)

// Input limits shared by every Gatehouse store (see package storetest).
// Longer or missing input fails with plugin.ErrInvalid before Redis is
// asked anything.
const (
	maxIDBytes        = 256      // channel types and ids, user ids, actors, roles, session keys
	maxLabelBytes     = 1024     // user names and labels
	maxPrincipalBytes = 64 << 10 // a principal as JSON
)

// input is one value to check: its name for the error, its limit and
// whether it may be empty.
type input struct {
	name     string
	value    string
	limit    int
	required bool
}

func ident(name, value string) input { return input{name, value, maxIDBytes, false} }
func need(name, value string) input  { return input{name, value, maxIDBytes, true} }
func text(name, value string) input  { return input{name, value, maxLabelBytes, false} }

// validate returns ErrInvalid for the first input that is missing or too
// long.
func validate(op string, in ...input) error {
	for _, v := range in {
		switch {
		case v.required && v.value == "":
			return fmt.Errorf("%s: %s is required: %w", op, v.name, plugin.ErrInvalid)
		case len(v.value) > v.limit:
			return fmt.Errorf("%s: %s is longer than %d bytes: %w", op, v.name, v.limit, plugin.ErrInvalid)
		}
	}
	return nil
}
