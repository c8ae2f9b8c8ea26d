package config

import (
	"math/big"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// value evaluates attr and converts it to ty. The host's own settings
// are shown in statuses and logs, so a sensitive value is refused.
func (d *decoder) value(attr *hcl.Attribute, ty cty.Type) (cty.Value, bool) {
	v, ok := d.secretValue(attr, ty)
	if !ok {
		return cty.NilVal, false
	}
	if v.ContainsMarked() {
		d.errorf(attr.Expr.Range(), "Sensitive value not allowed",
			"The attribute %q is shown in statuses and logs: give it in clear, "+
				"not through env() or file().", attr.Name)
		return cty.NilVal, false
	}
	return v, true
}

// secretValue is value for the one place that takes secrets, the plugin
// environment, which Env redacts as a whole. Marks stay on the result.
func (d *decoder) secretValue(attr *hcl.Attribute, ty cty.Type) (cty.Value, bool) {
	v, diags := attr.Expr.Value(d.ctx)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	v, err := convert.Convert(v, ty)
	if err != nil {
		d.errorf(attr.Expr.Range(), "Incorrect attribute value type",
			"Inappropriate value for attribute %q: %s.", attr.Name, err)
		return cty.NilVal, false
	}
	if v.IsNull() || !v.IsWhollyKnown() {
		d.errorf(attr.Expr.Range(), "Invalid attribute value",
			"The attribute %q needs a value.", attr.Name)
		return cty.NilVal, false
	}
	return v, true
}

// str evaluates attr as a string.
func (d *decoder) str(attr *hcl.Attribute) (string, bool) {
	v, ok := d.value(attr, cty.String)
	if !ok {
		return "", false
	}
	return v.AsString(), true
}

// boolean evaluates attr as a bool.
func (d *decoder) boolean(attr *hcl.Attribute) (bool, bool) {
	v, ok := d.value(attr, cty.Bool)
	if !ok {
		return false, false
	}
	return v.True(), true
}

// integer evaluates attr as a whole number of at least min.
func (d *decoder) integer(attr *hcl.Attribute, min int64) (int64, bool) {
	v, ok := d.value(attr, cty.Number)
	if !ok {
		return 0, false
	}
	n, acc := v.AsBigFloat().Int64()
	if acc != big.Exact || n < min || n > 1<<40 {
		d.errorf(attr.Expr.Range(), "Invalid number",
			"The attribute %q must be a whole number from %d to 2^40.", attr.Name, min)
		return 0, false
	}
	return n, true
}

// duration evaluates attr as a positive duration such as "30s".
func (d *decoder) duration(attr *hcl.Attribute) (time.Duration, bool) {
	s, ok := d.str(attr)
	if !ok {
		return 0, false
	}
	dur, err := time.ParseDuration(s)
	if err != nil || dur <= 0 {
		d.errorf(attr.Expr.Range(), "Invalid duration",
			"The attribute %q must be a positive duration such as \"30s\", \"5m\" or \"12h\".",
			attr.Name)
		return 0, false
	}
	return dur, true
}

// setStr sets *dst from attr when attr is present and valid.
func (d *decoder) setStr(attr *hcl.Attribute, dst *string) {
	if attr == nil {
		return
	}
	if v, ok := d.str(attr); ok {
		*dst = v
	}
}

// setDuration sets *dst from attr when attr is present and valid.
func (d *decoder) setDuration(attr *hcl.Attribute, dst *time.Duration) {
	if attr == nil {
		return
	}
	if v, ok := d.duration(attr); ok {
		*dst = v
	}
}

// setInt sets *dst from attr when attr is present and valid.
func (d *decoder) setInt(attr *hcl.Attribute, min int64, dst *int) {
	if attr == nil {
		return
	}
	if v, ok := d.integer(attr, min); ok {
		*dst = int(v)
	}
}
