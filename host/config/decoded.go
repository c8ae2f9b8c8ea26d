package config

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// Decoded is a plugin's config block checked against its schema.
type Decoded struct {
	// JSON is the block as a JSON object, secrets included: it goes to
	// the plugin and nowhere else.
	JSON []byte

	// paths locate the sensitive values in JSON.
	paths []cty.Path
}

// Sensitive returns the locations of the sensitive values, such as
// "bind_pass" or "server[0].password": those from env() or file() and
// those the schema declares sensitive.
func (d Decoded) Sensitive() []string {
	out := make([]string, len(d.paths))
	for i, p := range d.paths {
		out[i] = pathString(p)
	}
	return out
}

// Redacted returns JSON with every sensitive value replaced by Redacted.
func (d Decoded) Redacted() []byte {
	if len(d.JSON) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(d.JSON, &v); err != nil {
		return []byte(`"` + Redacted + `"`)
	}
	for _, p := range d.paths {
		v = redact(v, p)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return []byte(`"` + Redacted + `"`)
	}
	return out
}

// Format implements fmt.Formatter: every verb prints the redacted JSON.
func (d Decoded) Format(f fmt.State, _ rune) { f.Write(d.Redacted()) }

// sensitivePaths returns the paths of marked values.
func sensitivePaths(pvm []cty.PathValueMarks) []cty.Path {
	var out []cty.Path
	for _, m := range pvm {
		if m.Marks.Has(Sensitive) {
			out = append(out, m.Path)
		}
	}
	return out
}

// redact replaces the value at p inside v.
func redact(v any, p cty.Path) any {
	if len(p) == 0 {
		return Redacted
	}
	switch step := p[0].(type) {
	case cty.GetAttrStep:
		if m, ok := v.(map[string]any); ok {
			if _, ok := m[step.Name]; ok {
				m[step.Name] = redact(m[step.Name], p[1:])
			}
		}
	case cty.IndexStep:
		switch c := v.(type) {
		case []any:
			if i, ok := intKey(step.Key); ok && i < len(c) {
				c[i] = redact(c[i], p[1:])
			}
		case map[string]any:
			if step.Key.Type() == cty.String {
				if _, ok := c[step.Key.AsString()]; ok {
					c[step.Key.AsString()] = redact(c[step.Key.AsString()], p[1:])
				}
			}
		}
	}
	return v
}

// intKey returns an index step's key as an int.
func intKey(k cty.Value) (int, bool) {
	if k.Type() != cty.Number {
		return 0, false
	}
	i, acc := k.AsBigFloat().Int64()
	return int(i), acc == 0 && i >= 0
}

// pathString renders p as "a.b[0][\"k\"]".
func pathString(p cty.Path) string {
	var b strings.Builder
	for _, step := range p {
		switch step := step.(type) {
		case cty.GetAttrStep:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(step.Name)
		case cty.IndexStep:
			if i, ok := intKey(step.Key); ok {
				b.WriteString("[" + strconv.Itoa(i) + "]")
			} else if step.Key.Type() == cty.String {
				b.WriteString("[" + strconv.Quote(step.Key.AsString()) + "]")
			}
		}
	}
	return b.String()
}
