package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// mark is the type of the cty marks this package sets.
type mark string

// Sensitive marks a value that came from env() or file(), or that a
// plugin's schema declares sensitive. Such a value never appears in a
// diagnostic, a log line or a String.
const Sensitive = mark("sensitive")

// Redacted is what a sensitive value prints as.
const Redacted = "(sensitive)"

// evalContext returns the functions a config file can call. file()
// resolves relative paths against dir.
func evalContext(dir string) *hcl.EvalContext {
	return &hcl.EvalContext{
		Functions: map[string]function.Function{
			"env":  envFunc(),
			"file": fileFunc(dir),
		},
	}
}

// envFunc reads an environment variable of the host. An unset variable
// is an error: a secret that silently became "" would be worse.
func envFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Reads an environment variable; the value is sensitive.",
		Params: []function.Parameter{
			{Name: "name", Type: cty.String, AllowMarked: true},
		},
		Type: function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			arg, marks := args[0].Unmark()
			name := arg.AsString()
			v, ok := os.LookupEnv(name)
			if !ok {
				return cty.UnknownVal(cty.String), function.NewArgErrorf(0,
					"environment variable %s is not set", shown(name, marks))
			}
			return cty.StringVal(v).WithMarks(marks).Mark(Sensitive), nil
		},
	})
}

// fileFunc reads a file, relative to dir, without its trailing newline.
func fileFunc(dir string) function.Function {
	return function.New(&function.Spec{
		Description: "Reads a file relative to the config; the value is sensitive.",
		Params: []function.Parameter{
			{Name: "path", Type: cty.String, AllowMarked: true},
		},
		Type: function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			arg, marks := args[0].Unmark()
			path := arg.AsString()
			if !filepath.IsAbs(path) {
				path = filepath.Join(dir, path)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return cty.UnknownVal(cty.String), function.NewArgErrorf(0,
					"read file %s: %s", shown(filepath.Base(path), marks), cause(err))
			}
			s := strings.TrimRight(string(b), "\r\n")
			return cty.StringVal(s).WithMarks(marks).Mark(Sensitive), nil
		},
	})
}

// shown quotes s for an error message, unless marks say it is secret.
func shown(s string, marks cty.ValueMarks) string {
	if marks.Has(Sensitive) {
		return Redacted
	}
	return fmt.Sprintf("%q", s)
}

// cause returns the reason of a file error without the path, which the
// message already names when it may.
func cause(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
