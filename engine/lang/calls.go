package lang

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// FunctionNames returns the names of the functions a pipeline may call,
// sorted.
func FunctionNames() []string {
	names := make([]string, 0, 80)
	for name := range Functions("") {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// UnknownFunctions reports every call in expr to a function that does not
// exist, with a suggestion when a near name does. It looks at the whole
// expression without evaluating it, so that a call that evaluation never
// reaches (inside try, or in a validation's error_message) is reported
// too.
func UnknownFunctions(expr hcl.Expression) hcl.Diagnostics {
	node, ok := expr.(hclsyntax.Node)
	if !ok || expr == nil {
		return nil
	}
	known := Functions("")
	var diags hcl.Diagnostics
	hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		call, ok := n.(*hclsyntax.FunctionCallExpr)
		if !ok {
			return nil
		}
		if _, ok := known[call.Name]; ok {
			return nil
		}
		detail := fmt.Sprintf("There is no function named %q.", call.Name)
		if s := suggest(call.Name, FunctionNames()); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		} else if strings.Contains(call.Name, "::") {
			detail += " pipe has no provider functions."
		} else {
			detail += " pipe has HCL's standard functions (as Terraform has them), the file functions and uniform and loguniform; see docs/guide.md."
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Call to unknown function",
			Detail:   detail,
			Subject:  call.NameRange.Ptr(),
		})
		return nil
	})
	return diags
}
