package eval

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/steps"
)

// Step evaluates a step's attributes in scope. The result is an object
// with one attribute per schema attribute: the written value converted to
// the declared type, else the default, else null. Values may be unknown
// when they depend on steps that have not run. The schema's constraints
// and paths (see Paths) are checked, then the kind's Validate runs on
// the result, and its problems point at the attributes they are about.
//
// The result keeps lang.Sensitive marks; unmark it before handing it to a
// step.
func Step(step *config.Step, scope *lang.Scope) (cty.Value, hcl.Diagnostics) {
	schema := step.Kind.Schema()
	ctx := scope.EvalContext()
	attrs := make(map[string]cty.Value, len(schema.Attributes))
	var diags hcl.Diagnostics
	for _, a := range schema.Attributes {
		written, ok := step.Attributes[a.Name]
		if !ok {
			if a.Default != cty.NilVal {
				attrs[a.Name] = a.Default
			} else {
				attrs[a.Name] = cty.NullVal(a.Type)
			}
			continue
		}
		val, d := written.Expr.Value(ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			attrs[a.Name] = cty.UnknownVal(a.Type)
			continue
		}
		conv, err := convert.Convert(val, a.Type)
		if err != nil {
			diags = append(diags, typeMismatch(step, a, written.Expr, val, err))
			attrs[a.Name] = cty.UnknownVal(a.Type)
			continue
		}
		if bad := badArtifacts(step, a, written.Expr, conv); len(bad) > 0 {
			diags = append(diags, bad...)
			attrs[a.Name] = cty.UnknownVal(a.Type)
			continue
		}
		if conv.IsNull() && a.Required {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Null value for required attribute",
				Detail:   fmt.Sprintf("%s needs a value for %q; null is not one.", step.Addr, a.Name),
				Subject:  written.Expr.Range().Ptr(),
			})
		}
		attrs[a.Name] = conv
	}
	if len(attrs) == 0 {
		return validateStep(step, cty.EmptyObjectVal, diags)
	}
	// The constraints the schema declares, then the kind's own checks,
	// which see the values at fault as unknown and so say nothing more
	// about them.
	typeErrors := diags.HasErrors()
	unmarked, _ := cty.ObjectVal(attrs).UnmarkDeep()
	checked, bad := Constraints(schema, unmarked, step.Catalog)
	bad = append(bad, Paths(schema, cty.ObjectVal(attrs), scope.Confinement())...)
	for _, p := range bad {
		diags = append(diags, AttrDiagnostic(step, p))
		name := p.Path[0].(cty.GetAttrStep).Name
		attrs[name] = cty.UnknownVal(attrs[name].Type())
	}
	if !typeErrors {
		_, diags = validateStep(step, checked, diags)
	}
	return cty.ObjectVal(attrs), diags
}

// validateStep runs the kind's Validate, when it has one, on cfg (unmarked).
func validateStep(step *config.Step, cfg cty.Value, diags hcl.Diagnostics) (cty.Value, hcl.Diagnostics) {
	if v, ok := step.Kind.(steps.Validator); ok {
		for _, p := range v.Validate(cfg) {
			diags = append(diags, AttrDiagnostic(step, p))
		}
	}
	return cfg, diags
}

func typeMismatch(step *config.Step, a steps.Attribute, expr hcl.Expression, val cty.Value, err error) *hcl.Diagnostic {
	detail := fmt.Sprintf("Inappropriate value for attribute %q: %s.", a.Name, err)
	if steps.IsArtifact(val) || (val.Type().Equals(steps.ArtifactType) && !val.IsKnown()) {
		detail += " This is an artifact (a dataset, model or report); " + a.Name + " needs " + a.Type.FriendlyName() + "."
	} else if a.Type.Equals(steps.ArtifactType) {
		detail += " " + a.Name + " takes an artifact, the output of another step, e.g. load.corpus.train."
	}
	subject := expr.Range()
	if path := conversionPath(err); len(path) > 0 {
		subject = RangeOfPath(expr, path)
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Incorrect attribute value type",
		Detail:   detail,
		Subject:  subject.Ptr(),
	}
}

// badArtifacts reports the artifact values in val (the value of attribute
// a) that are not well formed: an artifact written by hand rather than
// taken from a step's output, with a digest that is not one.
func badArtifacts(step *config.Step, a steps.Attribute, expr hcl.Expression, val cty.Value) hcl.Diagnostics {
	unmarked, _ := val.UnmarkDeep()
	var diags hcl.Diagnostics
	cty.Walk(unmarked, func(path cty.Path, v cty.Value) (bool, error) {
		if !v.Type().Equals(steps.ArtifactType) {
			return true, nil
		}
		if v.IsWhollyKnown() && !v.IsNull() {
			if _, err := steps.ArtifactFromValue(v); err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid artifact",
					Detail: fmt.Sprintf("%s.%s: %s. Artifacts are the outputs of other steps; refer to one, e.g. load.corpus.train.",
						step.Addr, steps.FormatPath(append(cty.GetAttrPath(a.Name), path...)), strings.TrimPrefix(err.Error(), "steps: ")),
					Subject: RangeOfPath(expr, path).Ptr(),
				})
			}
		}
		return false, nil
	})
	return diags
}

var conversionStep = regexp.MustCompile(`^(?:element (\d+)|attribute "([^"]+)"|element "([^"]+)"): `)

// conversionPath recovers the path to the element at fault from a cty
// conversion error. Some conversions return a cty.PathError; others only
// say "element 1: attribute "x": ..." in the message.
func conversionPath(err error) cty.Path {
	var pe cty.PathError
	if errors.As(err, &pe) && len(pe.Path) > 0 {
		return pe.Path
	}
	var path cty.Path
	msg := err.Error()
	for {
		m := conversionStep.FindStringSubmatch(msg)
		if m == nil {
			return path
		}
		switch {
		case m[1] != "":
			i, _ := strconv.Atoi(m[1])
			path = path.Index(cty.NumberIntVal(int64(i)))
		case m[2] != "":
			path = path.GetAttr(m[2])
		default:
			path = path.Index(cty.StringVal(m[3]))
		}
		msg = msg[len(m[0]):]
	}
}

// AttrDiagnostic turns a kind's AttrError into a diagnostic pointing as
// closely as it can at the part of the step block it is about.
func AttrDiagnostic(step *config.Step, e *steps.AttrError) *hcl.Diagnostic {
	sev := hcl.DiagError
	if e.Warning {
		sev = hcl.DiagWarning
	}
	subject := step.DeclRange
	if len(e.Path) > 0 {
		if name, ok := e.Path[0].(cty.GetAttrStep); ok {
			if a, ok := step.Attributes[name.Name]; ok {
				subject = RangeOfPath(a.Expr, e.Path[1:])
			}
		}
	}
	summary := e.Summary
	if summary == "" {
		summary = "Invalid " + steps.FormatPath(e.Path)
	}
	return &hcl.Diagnostic{Severity: sev, Summary: summary, Detail: e.Detail, Subject: subject.Ptr()}
}

// RangeOfPath follows path into object and tuple constructors written in
// expr and returns the range of the innermost expression it reaches.
func RangeOfPath(expr hcl.Expression, path cty.Path) hcl.Range {
	for _, step := range path {
		next := childExpr(expr, step)
		if next == nil {
			break
		}
		expr = next
	}
	return expr.Range()
}

func childExpr(expr hcl.Expression, step cty.PathStep) hcl.Expression {
	var key cty.Value
	switch s := step.(type) {
	case cty.GetAttrStep:
		key = cty.StringVal(s.Name)
	case cty.IndexStep:
		key = s.Key
	}
	switch e := expr.(type) {
	case *hclsyntax.ObjectConsExpr:
		if key.Type() != cty.String {
			return nil
		}
		for _, item := range e.Items {
			k, d := item.KeyExpr.Value(nil)
			if d.HasErrors() || k.Type() != cty.String || !k.IsKnown() {
				continue
			}
			if k.AsString() == key.AsString() {
				return item.ValueExpr
			}
		}
	case *hclsyntax.TupleConsExpr:
		if key.Type() != cty.Number {
			return nil
		}
		i, acc := key.AsBigFloat().Int64()
		if acc == 0 && i >= 0 && int(i) < len(e.Exprs) {
			return e.Exprs[i]
		}
	}
	return nil
}
