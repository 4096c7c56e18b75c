package lang

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/confine"
)

// Scope holds the values references resolve to, and builds HCL evaluation
// contexts from them.
type Scope struct {
	// Dir is the pipeline folder, for the file functions.
	Dir string
	// Roots confine the file functions' paths; nil confines them to Dir.
	Roots  *confine.Roots
	Vars   map[string]cty.Value
	Locals map[string]cty.Value
	// Steps maps a step to the object of its outputs; unknown values stand
	// for outputs that exist only after the step runs.
	Steps map[config.StepAddr]cty.Value

	funcs map[string]function.Function
}

// EvalContext returns an evaluation context for the scope's values.
func (s *Scope) EvalContext() *hcl.EvalContext {
	if s.funcs == nil {
		s.funcs = FunctionsIn(s.Confinement())
	}
	vars := map[string]cty.Value{
		"var":   objectOrEmpty(s.Vars),
		"local": objectOrEmpty(s.Locals),
	}
	byKind := map[string]map[string]cty.Value{}
	for addr, v := range s.Steps {
		if byKind[addr.Kind] == nil {
			byKind[addr.Kind] = map[string]cty.Value{}
		}
		byKind[addr.Kind][addr.Name] = v
	}
	for kind, named := range byKind {
		vars[kind] = cty.ObjectVal(named)
	}
	return &hcl.EvalContext{Variables: vars, Functions: s.funcs}
}

// Confinement returns the folders the scope's paths must stay in: Roots,
// or Dir alone.
func (s *Scope) Confinement() *confine.Roots {
	if s.Roots == nil {
		return confine.New(s.Dir, nil)
	}
	return s.Roots
}

func objectOrEmpty(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}
