package eval

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/lang"
)

// Explain renders, for every attribute of step whose schema asks for it
// (steps.Attribute.Explain), the expression as written in sources followed
// by the value of each reference in it, in scope. Sensitive values show as
// (sensitive value).
func Explain(step *config.Step, scope *lang.Scope, sources map[string][]byte) map[string]string {
	var out map[string]string
	ctx := scope.EvalContext()
	for _, a := range step.Kind.Schema().Attributes {
		attr, ok := step.Attributes[a.Name]
		if !a.Explain || !ok {
			continue
		}
		text := sourceText(attr.Expr.Range(), sources)
		var vals []string
		seen := map[string]bool{}
		for _, trav := range attr.Expr.Variables() {
			name := traversalString(trav)
			if seen[name] {
				continue
			}
			seen[name] = true
			v, diags := trav.TraverseAbs(ctx)
			if diags.HasErrors() {
				continue
			}
			vals = append(vals, fmt.Sprintf("%s = %s", name, lang.Display(v)))
		}
		slices.Sort(vals)
		if len(vals) > 0 {
			text += " (" + strings.Join(vals, ", ") + ")"
		}
		if out == nil {
			out = map[string]string{}
		}
		out[a.Name] = text
	}
	return out
}

func sourceText(rng hcl.Range, sources map[string][]byte) string {
	src, ok := sources[rng.Filename]
	if !ok || rng.Start.Byte < 0 || rng.End.Byte > len(src) || rng.Start.Byte > rng.End.Byte {
		return "(expression)"
	}
	return strings.Join(strings.Fields(string(src[rng.Start.Byte:rng.End.Byte])), " ")
}

// traversalString renders a traversal as written: a.b["c"][0].
func traversalString(t hcl.Traversal) string {
	var b strings.Builder
	for i, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			b.WriteString(s.Name)
		case hcl.TraverseAttr:
			b.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			b.WriteString("[" + lang.Display(s.Key) + "]")
		default:
			if i > 0 {
				b.WriteString("[?]")
			}
		}
	}
	return b.String()
}
