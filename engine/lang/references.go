package lang

import (
	"fmt"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/steps"
)

// RefKind says what a Reference refers to.
type RefKind int

const (
	RefVar RefKind = iota
	RefLocal
	RefStep
)

// Reference is one reference an expression makes.
type Reference struct {
	Kind RefKind
	// Name is the variable or local name (RefVar, RefLocal).
	Name string
	// Step and Output are set for RefStep; Output is "" when the whole
	// step is referenced (KIND.NAME).
	Step   config.StepAddr
	Output string
	// Range covers the reference in the source.
	Range hcl.Range
	// Remaining is the traversal after the output (attribute paths into
	// it, e.g. .C in search.lr.best.C).
	Remaining hcl.Traversal
}

func (r *Reference) String() string {
	switch r.Kind {
	case RefVar:
		return "var." + r.Name
	case RefLocal:
		return "local." + r.Name
	}
	if r.Output == "" {
		return r.Step.String()
	}
	return r.Step.String() + "." + r.Output
}

// ReferencesIn returns the references an expression makes.
func ReferencesIn(expr hcl.Expression, kinds *steps.Catalog) ([]*Reference, hcl.Diagnostics) {
	if expr == nil {
		return nil, nil
	}
	var refs []*Reference
	var diags hcl.Diagnostics
	for _, trav := range expr.Variables() {
		ref, d := parseReference(trav, kinds)
		diags = append(diags, d...)
		if ref != nil {
			refs = append(refs, ref)
		}
	}
	return refs, diags
}

func attrName(step hcl.Traverser) (string, bool) {
	switch s := step.(type) {
	case hcl.TraverseAttr:
		return s.Name, true
	case hcl.TraverseIndex:
		if k := s.Key; k.IsKnown() && !k.IsNull() && k.Type() == cty.String {
			return k.AsString(), true
		}
	}
	return "", false
}

func parseReference(trav hcl.Traversal, kinds *steps.Catalog) (*Reference, hcl.Diagnostics) {
	root := trav.RootName()
	rng := trav.SourceRange()
	invalid := func(summary, detail string) hcl.Diagnostics {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()}}
	}
	switch root {
	case "var", "local":
		if len(trav) < 2 {
			return nil, invalid("Invalid reference", fmt.Sprintf("%q cannot be used alone: write %s.NAME.", root, root))
		}
		name, ok := attrName(trav[1])
		if !ok {
			return nil, invalid("Invalid reference", fmt.Sprintf("Write %s.NAME, with a name after the dot.", root))
		}
		kind := RefVar
		if root == "local" {
			kind = RefLocal
		}
		return &Reference{Kind: kind, Name: name, Range: hcl.RangeBetween(trav[0].SourceRange(), trav[1].SourceRange()), Remaining: trav[2:]}, nil
	}
	if _, ok := kinds.Lookup(root); !ok {
		detail := fmt.Sprintf("There is no variable, local or step kind named %q.", root)
		if s := suggest(root, append([]string{"var", "local"}, kinds.Names()...)); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		} else {
			detail += " References start with var., local., or a step kind (" + strings.Join(kinds.Names(), ", ") + ")."
		}
		return nil, invalid("Unknown reference", detail)
	}
	if len(trav) < 2 {
		return nil, invalid("Invalid reference", fmt.Sprintf("A reference to a step names it: %s.NAME.OUTPUT.", root))
	}
	name, ok := attrName(trav[1])
	if !ok {
		return nil, invalid("Invalid reference", fmt.Sprintf("A reference to a step names it: %s.NAME.OUTPUT.", root))
	}
	ref := &Reference{Kind: RefStep, Step: config.StepAddr{Kind: root, Name: name}}
	last := trav[1]
	if len(trav) > 2 {
		out, ok := attrName(trav[2])
		if !ok {
			return nil, invalid("Invalid reference", fmt.Sprintf("Name an output of the step after its name: %s.%s.OUTPUT.", root, name))
		}
		ref.Output = out
		last = trav[2]
		ref.Remaining = trav[3:]
	}
	ref.Range = hcl.RangeBetween(trav[0].SourceRange(), last.SourceRange())
	return ref, nil
}

// suggest returns the candidate closest to name when it is close enough
// to be a likely typo, or "".
func suggest(name string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(name, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// Suggest returns the candidate closest to name when it is close enough to
// be a likely typo, or "".
func Suggest(name string, candidates []string) string { return suggest(name, candidates) }
