package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Variable is a variable block: an input the pipeline's user sets with
// -var, -var-file or PIPE_VAR_NAME, as in Terraform.
type Variable struct {
	Name        string
	Description string
	// Type is the type constraint; cty.DynamicPseudoType when none given.
	Type cty.Type
	// TypeDefaults fills optional object attributes, or nil.
	TypeDefaults *typeexpr.Defaults
	// Default is the value used when none is given, already converted to
	// Type; cty.NilVal when the variable is required.
	Default cty.Value
	// Sensitive values are never printed, logged or recorded in clear.
	Sensitive bool
	// Nullable allows null as a value (the default, as in Terraform).
	Nullable    bool
	Validations []*Validation
	DeclRange   hcl.Range
}

// Required reports whether the variable has no default.
func (v *Variable) Required() bool { return v.Default == cty.NilVal }

// Validation is a custom rule on a variable's value: when Condition is
// false, ErrorMessage is shown.
type Validation struct {
	Condition    hcl.Expression
	ErrorMessage hcl.Expression
	DeclRange    hcl.Range
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"}, {Name: "nullable"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true},
		{Name: "error_message", Required: true},
	},
}

func (c *Config) decodeVariable(block *hcl.Block) hcl.Diagnostics {
	v := &Variable{
		Name:      block.Labels[0],
		Type:      cty.DynamicPseudoType,
		Nullable:  true,
		DeclRange: block.DefRange,
	}
	diags := checkName("variable", v.Name, block.LabelRanges[0])
	if prev, dup := c.Variables[v.Name]; dup {
		return append(diags, duplicate("variable", v.Name, prev.DeclRange, block.DefRange))
	}
	content, cd := block.Body.Content(variableSchema)
	diags = append(diags, cd...)

	if a, ok := content.Attributes["description"]; ok {
		diags = append(diags, decodeLiteral(a, cty.String, func(val cty.Value) { v.Description = val.AsString() })...)
	}
	if a, ok := content.Attributes["sensitive"]; ok {
		diags = append(diags, decodeLiteral(a, cty.Bool, func(val cty.Value) { v.Sensitive = val.True() })...)
	}
	if a, ok := content.Attributes["nullable"]; ok {
		diags = append(diags, decodeLiteral(a, cty.Bool, func(val cty.Value) { v.Nullable = val.True() })...)
	}
	if a, ok := content.Attributes["type"]; ok {
		ty, defaults, td := typeexpr.TypeConstraintWithDefaults(a.Expr)
		diags = append(diags, td...)
		if !td.HasErrors() {
			v.Type, v.TypeDefaults = ty, defaults
		}
	}
	if a, ok := content.Attributes["default"]; ok {
		diags = append(diags, v.decodeDefault(a)...)
	}
	for _, vb := range content.Blocks {
		vc, vd := vb.Body.Content(validationSchema)
		diags = append(diags, vd...)
		if vd.HasErrors() {
			continue
		}
		v.Validations = append(v.Validations, &Validation{
			Condition:    vc.Attributes["condition"].Expr,
			ErrorMessage: vc.Attributes["error_message"].Expr,
			DeclRange:    vb.DefRange,
		})
	}
	c.Variables[v.Name] = v
	return diags
}

// decodeDefault sets v.Default from its default attribute, which must be
// a literal of v's type (and not null unless v is nullable). A default
// that is present but wrong still makes the variable optional: an unknown
// default avoids a second, misleading error.
func (v *Variable) decodeDefault(a *hcl.Attribute) hcl.Diagnostics {
	v.Default = cty.UnknownVal(v.Type)
	val, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		for _, d := range diags {
			if d.Summary == "Variables not allowed" || d.Summary == "Function calls not allowed" {
				d.Detail += " A variable's default must be a literal value; compute values in locals instead."
			}
		}
		return diags
	}
	if v.TypeDefaults != nil {
		val = v.TypeDefaults.Apply(val)
	}
	conv, err := convert.Convert(val, v.Type)
	switch {
	case err != nil:
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid default value for variable",
			Detail:   fmt.Sprintf("This default value is not compatible with the variable's type constraint: %s.", err),
			Subject:  a.Expr.Range().Ptr(),
		}}
	case conv.IsNull() && !v.Nullable:
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid default value for variable",
			Detail:   "The variable is not nullable, so its default cannot be null. Remove the default to make it required.",
			Subject:  a.Expr.Range().Ptr(),
		}}
	}
	v.Default = conv
	return nil
}
