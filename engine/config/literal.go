package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// decodeLiteral decodes an attribute that must be a literal value of type
// ty (a description, sensitive, nullable): one diagnostic per problem,
// saying what is expected, instead of gohcl's two for a reference.
func decodeLiteral(attr *hcl.Attribute, ty cty.Type, into func(cty.Value)) hcl.Diagnostics {
	val, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		for _, d := range diags {
			if d.Summary == "Variables not allowed" || d.Summary == "Function calls not allowed" {
				d.Detail += fmt.Sprintf(" %s must be a literal value.", attr.Name)
			}
		}
		return diags
	}
	conv, err := convert.Convert(val, ty)
	if err != nil || conv.IsNull() {
		want := "a string"
		if ty == cty.Bool {
			want = "true or false"
		}
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for " + attr.Name,
			Detail:   fmt.Sprintf("%s must be %s.", attr.Name, want),
			Subject:  attr.Expr.Range().Ptr(),
		}}
	}
	into(conv)
	return nil
}
