package config

import (
	"fmt"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// DecodeConfig checks the config block of b against the schema its plugin
// published and returns the block as a JSON object. Every mistake is
// reported, each with its range.
func DecodeConfig(b *PluginBlock, s plugin.Schema) ([]byte, hcl.Diagnostics) {
	d, diags := DecodeBlock(b, s)
	return d.JSON, diags
}

// DecodeBlock is DecodeConfig that also says which values are sensitive.
// A nil Body decodes as an empty block, so required attributes are
// reported at the block header.
func DecodeBlock(b *PluginBlock, s plugin.Schema) (Decoded, hcl.Diagnostics) {
	spec, diags := objectSpec(s, b.DeclRange)
	if diags.HasErrors() {
		return Decoded{}, diags
	}
	v, diags := hcldec.Decode(bodyOf(b), spec, evalContext(b.dir))
	if diags.HasErrors() {
		return Decoded{}, diags
	}

	v, pvm := markSchema(v, s).UnmarkDeepWithPaths()
	raw, err := ctyjson.SimpleJSONValue{Value: v}.MarshalJSON()
	if err != nil {
		return Decoded{}, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot encode plugin config",
			Detail:   fmt.Sprintf("Encode the config of %s as JSON: %v.", b, err),
			Subject:  b.DeclRange.Ptr(),
		}}
	}
	return Decoded{JSON: raw, paths: sensitivePaths(pvm)}, nil
}

// bodyOf returns the config body of b, or an empty body whose missing
// items point at the block header.
func bodyOf(b *PluginBlock) hcl.Body {
	if b.Body != nil {
		return b.Body
	}
	return &hclsyntax.Body{
		Attributes: hclsyntax.Attributes{},
		SrcRange:   b.DeclRange,
		EndRange:   b.DeclRange,
	}
}

// objectSpec turns a plugin schema into an hcldec spec. A schema that
// cannot be turned is the plugin's mistake; it is reported at the block
// header, since the operator has no other place to look.
func objectSpec(s plugin.Schema, at hcl.Range) (hcldec.ObjectSpec, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	spec := hcldec.ObjectSpec{}
	for _, a := range s.Attributes {
		ty, err := parseType(a.Type)
		if err != nil {
			diags = append(diags, schemaError(at, "attribute %q has type %q: %v", a.Name, a.Type, err))
			continue
		}
		spec[a.Name] = &hcldec.AttrSpec{Name: a.Name, Type: ty, Required: a.Required}
	}
	for _, blk := range s.Blocks {
		nested, nd := objectSpec(blk.Body, at)
		diags = append(diags, nd...)
		if _, dup := spec[blk.Name]; dup {
			diags = append(diags, schemaError(at, "%q is declared twice", blk.Name))
			continue
		}
		for i, label := range blk.Labels {
			nested[label] = &hcldec.BlockLabelSpec{Index: i, Name: label}
		}
		spec[blk.Name] = blockSpec(blk, nested)
	}
	return spec, diags
}

// blockSpec returns the spec of one nested block.
func blockSpec(blk plugin.Block, nested hcldec.ObjectSpec) hcldec.Spec {
	if !blk.Repeated {
		return &hcldec.BlockSpec{TypeName: blk.Name, Nested: nested, Required: blk.Required}
	}
	spec := &hcldec.BlockTupleSpec{TypeName: blk.Name, Nested: nested}
	if blk.Required {
		spec.MinItems = 1
	}
	return spec
}

// parseType parses an HCL type constraint such as "list(string)"; an
// empty one means any type.
func parseType(s string) (cty.Type, error) {
	if s == "" {
		return cty.DynamicPseudoType, nil
	}
	expr, diags := hclsyntax.ParseExpression([]byte(s), "schema", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilType, diags
	}
	ty, diags := typeexpr.TypeConstraint(expr)
	if diags.HasErrors() {
		return cty.NilType, diags
	}
	return ty, nil
}

// schemaError reports a broken plugin schema at the block header.
func schemaError(at hcl.Range, format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid plugin schema",
		Detail:   "The plugin publishes a broken schema: " + fmt.Sprintf(format, args...) + ".",
		Subject:  at.Ptr(),
	}
}

// markSchema marks the values that s declares sensitive, at any depth of
// nested blocks.
func markSchema(v cty.Value, s plugin.Schema) cty.Value {
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() {
		return v
	}
	attrs := v.AsValueMap()
	for _, a := range s.Attributes {
		if a.Sensitive && !attrs[a.Name].IsNull() {
			attrs[a.Name] = attrs[a.Name].Mark(Sensitive)
		}
	}
	for _, blk := range s.Blocks {
		attrs[blk.Name] = markBlocks(attrs[blk.Name], blk)
	}
	if len(attrs) == 0 {
		return v
	}
	return cty.ObjectVal(attrs)
}

// markBlocks applies markSchema to one nested block value, a tuple of
// them when the block repeats.
func markBlocks(v cty.Value, blk plugin.Block) cty.Value {
	if !blk.Repeated || v.IsNull() || !v.IsKnown() {
		return markSchema(v, blk.Body)
	}
	elems := []cty.Value{}
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		elems = append(elems, markSchema(e, blk.Body))
	}
	if len(elems) == 0 {
		return v
	}
	return cty.TupleVal(elems)
}
