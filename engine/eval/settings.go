package eval

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/lang"
)

// Settings are the evaluated settings block. Empty strings mean "not set
// in the pipeline"; the engine applies flags, environment and defaults.
type Settings struct {
	Store    string
	Registry string
	// Executor names where steps run by default (engine/executor).
	Executor string
	// Unknown holds the settings that use a variable without a value
	// (pipe validate leaves required variables unknown), with where they
	// are written. engine/workspace refuses to guess their value.
	Unknown map[string]hcl.Range
}

// EvalSettings evaluates the settings block, if any.
func EvalSettings(cfg *config.Config, scope *lang.Scope) (Settings, hcl.Diagnostics) {
	var s Settings
	if cfg.Settings == nil {
		return s, nil
	}
	var diags hcl.Diagnostics
	str := func(expr hcl.Expression, name string) string {
		if expr == nil {
			return ""
		}
		v, d := expr.Value(scope.EvalContext())
		diags = append(diags, d...)
		if d.HasErrors() {
			return ""
		}
		v, _ = v.Unmark()
		if !v.IsKnown() {
			if s.Unknown == nil {
				s.Unknown = map[string]hcl.Range{}
			}
			s.Unknown[name] = expr.Range()
			return ""
		}
		if v.IsNull() || v.Type() != cty.String {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid setting",
				Detail:   fmt.Sprintf("settings.%s must be a string, not %s.", name, lang.Display(v)),
				Subject:  expr.Range().Ptr(),
			})
			return ""
		}
		return v.AsString()
	}
	s.Store = str(cfg.Settings.Store, "store")
	s.Registry = str(cfg.Settings.Registry, "registry")
	if name := str(cfg.Settings.Executor, "executor"); name != "" {
		if msg := setExecutor(&s.Executor, name); msg != "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unknown executor",
				Detail:   "settings.executor: " + msg,
				Subject:  cfg.Settings.Executor.Range().Ptr(),
			})
		}
	}
	return s, diags
}
