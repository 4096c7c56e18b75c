package eval

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/engine/nesting"
)

// EnvPrefix starts the names of environment variables that set pipeline
// variables: PIPE_VAR_data_dir sets var.data_dir.
const EnvPrefix = "PIPE_VAR_"

// VarArg is one -var or -var-file argument, in command-line order.
type VarArg struct {
	// Assign is "NAME=VALUE" for -var; File is a path for -var-file.
	Assign string
	File   string
}

// VarInputs are the values given to variables from outside the pipeline.
type VarInputs struct {
	// Env is the environment, as os.Environ returns it.
	Env []string
	// Args are the -var and -var-file arguments in the order given: a
	// later one overrides an earlier one.
	Args []VarArg
	// Values override everything else; applying a saved plan uses them to
	// get exactly the values the plan was made with.
	Values map[string]cty.Value
}

// given is a value given from outside the pipeline. A value given as text
// (-var, the environment) is raw until it wins: it is parsed according to
// the variable's type only then, so that a bad value that a later source
// overrides is no error, as in Terraform.
type given struct {
	value  cty.Value
	raw    *string    // text to parse, when value is not set yet
	source string     // for messages: "-var", "PIPE_VAR_x", "file.vars.hcl"
	rng    *hcl.Range // where in a var file, or nil
}

// Variables resolves every declared variable's value. Precedence, lowest
// first: the default, PIPE_VAR_NAME, then -var and -var-file arguments in
// the order given. Values of sensitive variables are marked lang.Sensitive.
// A required variable without a value is an error, or an unknown value
// when allowMissing is true. Sources holds the var files read, for
// diagnostic snippets.
func Variables(cfg *config.Config, in VarInputs, allowMissing bool) (vals map[string]cty.Value, sources map[string][]byte, diags hcl.Diagnostics) {
	values, sources, diags := givenValues(cfg, in)
	vals = map[string]cty.Value{}
	for _, name := range sortedNames(cfg.Variables) {
		val, d := variableValue(cfg.Variables[name], name, values, allowMissing)
		diags = append(diags, d...)
		vals[name] = val
	}
	diags = append(diags, validate(cfg, vals)...)
	return vals, sources, diags
}

// givenValues gathers the values given for the declared variables, later
// sources overriding earlier ones: the environment, then -var and
// -var-file in command-line order, then a saved plan's. It returns the
// -var-files read, by name, for diagnostics.
func givenValues(cfg *config.Config, in VarInputs) (map[string]given, map[string][]byte, hcl.Diagnostics) {
	values := map[string]given{}
	sources := map[string][]byte{}
	var diags hcl.Diagnostics

	env := slices.Clone(in.Env)
	slices.Sort(env)
	for _, kv := range env {
		name, raw, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		name = strings.TrimPrefix(name, EnvPrefix)
		if _, ok := cfg.Variables[name]; !ok {
			continue // as Terraform: the environment may hold values for other pipelines
		}
		values[name] = given{raw: &raw, source: EnvPrefix + name}
	}

	for _, arg := range in.Args {
		if arg.File != "" {
			fileVals, src, d := readVarFile(cfg, arg.File)
			diags = append(diags, d...)
			if src != nil {
				sources[arg.File] = src
			}
			for name, g := range fileVals {
				values[name] = g
			}
			continue
		}
		name, raw, d := parseVarOption(cfg, arg.Assign)
		diags = append(diags, d...)
		if d == nil {
			values[name] = given{raw: &raw, source: "-var"}
		}
	}

	for _, name := range sortedNames(in.Values) {
		if _, ok := cfg.Variables[name]; ok {
			values[name] = given{value: in.Values[name], source: "the saved plan"}
		}
	}
	return values, sources, diags
}

// parseVarOption splits a -var option, NAME=VALUE, and checks that the
// pipeline declares NAME.
func parseVarOption(cfg *config.Config, assign string) (name, raw string, diags hcl.Diagnostics) {
	name, raw, ok := strings.Cut(assign, "=")
	if !ok || !hclsyntax.ValidIdentifier(name) {
		return "", "", hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid -var option",
			Detail:   fmt.Sprintf("The option -var=%q is not of the form NAME=VALUE, e.g. -var='data_dir=data/2026-11'.", assign),
		}}
	}
	if _, ok := cfg.Variables[name]; !ok {
		return "", "", hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Value for undeclared variable",
			Detail:   fmt.Sprintf("-var sets %q, but the pipeline declares no such variable.%s Declare it with a variable %q block, or remove the option.", name, didYouMean(name, cfg), name),
		}}
	}
	return name, raw, nil
}

// variableValue is the value of variable v: the one given, converted to
// its type, else its default. A required variable without a value is
// unknown, and an error unless allowMissing.
func variableValue(v *config.Variable, name string, values map[string]given, allowMissing bool) (cty.Value, hcl.Diagnostics) {
	g, ok := values[name]
	if !ok {
		if !v.Required() {
			return mark(v, v.Default), nil
		}
		if allowMissing {
			return cty.UnknownVal(v.Type), nil
		}
		return cty.UnknownVal(v.Type), hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "No value for required variable",
			Detail: fmt.Sprintf("The variable %q has no default, so it needs a value: -var='%s=VALUE', a -var-file, or the environment variable %s%s.",
				name, name, EnvPrefix, name),
			Subject: v.DeclRange.Ptr(),
		}}
	}
	var diags hcl.Diagnostics
	if g.raw != nil {
		val, d := parseRaw(v, *g.raw, g.source)
		diags = append(diags, d...)
		if d.HasErrors() {
			return mark(v, cty.UnknownVal(v.Type)), diags
		}
		g.value = val
	}
	val, d := convertGiven(v, g)
	return mark(v, val), append(diags, d...)
}

func mark(v *config.Variable, val cty.Value) cty.Value {
	if v.Sensitive {
		return val.Mark(lang.Sensitive)
	}
	return val
}

// parseRaw turns text from the command line or the environment into a
// value: taken literally for a string (or untyped) variable, parsed as an
// HCL expression otherwise, as Terraform does.
func parseRaw(v *config.Variable, raw, source string) (cty.Value, hcl.Diagnostics) {
	if v.Type == cty.String || v.Type == cty.DynamicPseudoType {
		return cty.StringVal(raw), nil
	}
	shown := fmt.Sprintf("%q", raw)
	if len(raw) > 60 {
		cut := 60
		for cut > 0 && !utf8.RuneStart(raw[cut]) {
			cut--
		}
		shown = fmt.Sprintf("%q… (%d bytes)", raw[:cut], len(raw))
	}
	if v.Sensitive {
		shown = lang.Redacted
	}
	name := fmt.Sprintf("<value for var.%s>", v.Name)
	diags := nesting.CheckExpression(name, []byte(raw))
	var expr hclsyntax.Expression
	if !diags.HasErrors() {
		expr, diags = hclsyntax.ParseExpression([]byte(raw), name, hcl.InitialPos)
	}
	if diags.HasErrors() {
		return cty.NilVal, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for variable",
			Detail: fmt.Sprintf("The value %s given by %s for var.%s (%s) is not a valid expression: %s. Quote lists and objects for your shell, e.g. -var='%s=[1, 2]'.",
				shown, source, v.Name, v.Type.FriendlyName(), diags[0].Summary, v.Name),
			Subject: v.DeclRange.Ptr(),
		}}
	}
	val, diags := expr.Value(nil)
	if diags.HasErrors() {
		return cty.NilVal, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for variable",
			Detail: fmt.Sprintf("The value %s given by %s for var.%s is not %s. Give a literal, e.g. %s.",
				shown, source, v.Name, typeArticle(v.Type), exampleLiteral(v.Type)),
			Subject: v.DeclRange.Ptr(),
		}}
	}
	return val, nil
}

// typeArticle names a type with its article: "a number", "a list of string".
func typeArticle(ty cty.Type) string {
	name := ty.FriendlyName()
	if ty == cty.Bool {
		return "true or false"
	}
	if strings.HasPrefix(name, "a") || strings.HasPrefix(name, "o") {
		return "an " + name
	}
	return "a " + name
}

// exampleLiteral shows how a value of a type is written on a command line.
func exampleLiteral(ty cty.Type) string {
	switch {
	case ty == cty.Number:
		return "3 or 0.5"
	case ty == cty.Bool:
		return "true"
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		return `-var='NAME=["a", "b"]'`
	case ty.IsMapType() || ty.IsObjectType():
		return `-var='NAME={ key = "value" }'`
	}
	return `"text"`
}

func convertGiven(v *config.Variable, g given) (cty.Value, hcl.Diagnostics) {
	val := g.value
	if v.TypeDefaults != nil {
		val = v.TypeDefaults.Apply(val)
	}
	subject := v.DeclRange.Ptr()
	if g.rng != nil {
		subject = g.rng
	}
	conv, err := convert.Convert(val, v.Type)
	if err != nil {
		return cty.UnknownVal(v.Type), hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for variable",
			Detail:   fmt.Sprintf("The value given by %s for var.%s is not of its type, %s: %s.", g.source, v.Name, v.Type.FriendlyName(), err),
			Subject:  subject,
		}}
	}
	if conv.IsNull() && !v.Nullable {
		return cty.UnknownVal(v.Type), hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for variable",
			Detail:   fmt.Sprintf("var.%s is not nullable, but %s gives it null.", v.Name, g.source),
			Subject:  subject,
		}}
	}
	return conv, nil
}

// readVarFile reads a -var-file: HCL, or JSON for names ending in .json.
func readVarFile(cfg *config.Config, path string) (map[string]given, []byte, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read variables file",
			Detail:   fmt.Sprintf("-var-file: %s.", strings.TrimPrefix(err.Error(), "open ")),
		}}
	}
	f, diags := config.ParseSource(hclparse.NewParser(), path, src)
	if diags.HasErrors() {
		return nil, src, diags
	}
	attrs, ad := f.Body.JustAttributes()
	diags = append(diags, ad...)
	out := map[string]given{}
	for name, attr := range attrs {
		val, vd := attr.Expr.Value(nil)
		if vd.HasErrors() {
			diags = append(diags, vd...)
			continue
		}
		if _, ok := cfg.Variables[name]; !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Value for undeclared variable",
				Detail:   fmt.Sprintf("The pipeline declares no variable named %q, so this value is ignored.%s", name, didYouMean(name, cfg)),
				Subject:  attr.NameRange.Ptr(),
			})
			continue
		}
		rng := attr.Expr.Range()
		out[name] = given{value: val, source: path, rng: &rng}
	}
	return out, src, diags
}

func didYouMean(name string, cfg *config.Config) string {
	if s := lang.Suggest(name, sortedNames(cfg.Variables)); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

// validate runs the variables' validation blocks.
func validate(cfg *config.Config, vals map[string]cty.Value) hcl.Diagnostics {
	scope := &lang.Scope{Dir: cfg.Dir, Vars: vals}
	ctx := scope.EvalContext()
	var diags hcl.Diagnostics
	for _, name := range sortedNames(cfg.Variables) {
		v := cfg.Variables[name]
		for _, rule := range v.Validations {
			ok, d := rule.Condition.Value(ctx)
			if d.HasErrors() {
				diags = append(diags, d...)
				continue
			}
			ok, _ = ok.Unmark()
			if !ok.IsKnown() {
				continue // a value with its own error, reported already
			}
			if ok.IsNull() || !ok.IsKnown() || !ok.Type().Equals(cty.Bool) {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid validation condition",
					Detail:   "A validation condition must be true or false.",
					Subject:  rule.Condition.Range().Ptr(),
				})
				continue
			}
			if ok.True() {
				continue
			}
			msg, md := rule.ErrorMessage.Value(ctx)
			diags = append(diags, md...)
			detail := "The value does not satisfy this validation rule."
			if !md.HasErrors() {
				if m, err := convert.Convert(msg, cty.String); err == nil && m.IsKnown() && !m.IsNull() {
					um, _ := m.Unmark()
					detail = um.AsString()
				} else {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  "Invalid validation error message",
						Detail:   "error_message must be a string, e.g. error_message = \"C must be positive.\"",
						Subject:  rule.ErrorMessage.Range().Ptr(),
					})
				}
			}
			if !v.Sensitive {
				detail += fmt.Sprintf(" (var.%s = %s)", name, lang.Display(vals[name]))
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid value for variable",
				Detail:   detail,
				Subject:  rule.Condition.Range().Ptr(),
			})
		}
	}
	return diags
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
