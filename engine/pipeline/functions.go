package pipeline

import (
	"maps"
	"slices"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/lang"
)

// checkFunctions reports every call to a function that does not exist in
// the expressions of steps, locals, settings and variable validations,
// whether or not evaluating them would reach the call.
func checkFunctions(cfg *config.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	check := func(expr hcl.Expression) {
		if expr != nil {
			diags = append(diags, lang.UnknownFunctions(expr)...)
		}
	}
	for _, addr := range cfg.StepAddrs() {
		step := cfg.Steps[addr]
		for _, name := range sortedAttributes(step.Attributes) {
			check(step.Attributes[name].Expr)
		}
		if step.Resources != nil {
			for _, name := range sortedAttributes(step.Resources.Attributes) {
				check(step.Resources.Attributes[name].Expr)
			}
		}
	}
	for _, name := range sortedKeys(cfg.Locals) {
		check(cfg.Locals[name].Expr)
	}
	if s := cfg.Settings; s != nil {
		check(s.Store)
		check(s.Registry)
		check(s.Executor)
	}
	for _, name := range sortedKeys(cfg.Variables) {
		for _, rule := range cfg.Variables[name].Validations {
			check(rule.Condition)
			check(rule.ErrorMessage)
		}
	}
	return diags
}

func sortedAttributes(attrs hcl.Attributes) []string {
	names := sortedKeys(attrs)
	slices.SortStableFunc(names, func(a, b string) int {
		return attrs[a].Range.Start.Byte - attrs[b].Range.Start.Byte
	})
	return names
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
