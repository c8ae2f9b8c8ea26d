package store

import (
	"fmt"

	"github.com/gatehouse/gatehouse/plugin"
)

// validate checks the inputs of op against the limits every store shares
// (plugin.CheckFields) before Redis is asked anything.
func validate(op string, in ...plugin.Field) error {
	if err := plugin.CheckFields(in...); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}
