package eval

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/confine"
	"github.com/pipe-ml/pipe/engine/dag"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/steps"
)

// Locals evaluates the local values in the order their references
// require (a local may use variables and other locals, not steps), and
// reports cycles among them. The file functions are confined to roots.
func Locals(cfg *config.Config, kinds *steps.Catalog, vars map[string]cty.Value, roots *confine.Roots) (map[string]cty.Value, hcl.Diagnostics) {
	g := &dag.Graph{}
	invalid := map[string]bool{} // locals that refer to steps: engine/graph reports them
	for name, l := range cfg.Locals {
		g.Add(name)
		refs, _ := lang.ReferencesIn(l.Expr, kinds) // engine/graph reports bad references
		for _, r := range refs {
			if r.Kind == lang.RefStep {
				invalid[name] = true
			}
			if r.Kind == lang.RefLocal {
				if _, ok := cfg.Locals[r.Name]; ok {
					g.Connect(name, r.Name)
				}
			}
		}
	}
	var diags hcl.Diagnostics
	vals := map[string]cty.Value{}
	order, ok := g.TopoOrder()
	if !ok {
		for _, cycle := range g.Cycles() {
			names := make([]string, 0, len(cycle)+1)
			for _, n := range cycle {
				names = append(names, "local."+n)
			}
			names = append(names, "local."+cycle[0])
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cycle between local values",
				Detail:   fmt.Sprintf("The local values %s depend on each other in a circle. Remove one of these references.", strings.Join(names, " → ")),
				Subject:  cfg.Locals[cycle[0]].DeclRange.Ptr(),
			})
		}
		// Evaluate what is not on a cycle, so its problems show too.
		for _, name := range sortedNames(cfg.Locals) {
			vals[name] = cty.DynamicVal
		}
	}
	scope := &lang.Scope{Dir: cfg.Dir, Roots: roots, Vars: vars, Locals: vals}
	for _, name := range order {
		if invalid[name] {
			vals[name] = cty.DynamicVal
			continue
		}
		v, d := cfg.Locals[name].Expr.Value(scope.EvalContext())
		diags = append(diags, d...)
		if d.HasErrors() {
			v = cty.DynamicVal
		}
		vals[name] = v
	}
	return vals, diags
}
