package pipeline

import (
	"maps"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/confine"
	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/graph"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/steps"
)

// Options say what to load and how.
type Options struct {
	// Path is the pipeline folder or file.
	Path string
	// Kinds are the step kinds the pipeline may use.
	Kinds *steps.Catalog
	// Vars are the values given to variables from outside.
	Vars eval.VarInputs
	// AllowMissingVars treats a required variable without a value as
	// unknown instead of an error, as `terraform validate` does: the
	// pipeline is checked whatever values it will be given.
	AllowMissingVars bool
	// AllowedPaths are folders the pipeline may read and write besides
	// its own and those its settings.allowed_paths name: from the
	// command line (-allow-path) and PIPE_ALLOWED_PATHS.
	AllowedPaths []confine.Root
}

// Pipeline is a loaded and checked pipeline.
type Pipeline struct {
	Config   *config.Config
	Graph    *graph.Graph
	Kinds    *steps.Catalog
	Vars     map[string]cty.Value
	Locals   map[string]cty.Value
	Settings eval.Settings
	// Roots are the folders the pipeline may read and write: its own,
	// settings.allowed_paths and Options.AllowedPaths (engine/confine).
	Roots *confine.Roots
	// Sources holds the bytes of every file read (pipeline files and
	// variable files), by the name diagnostics use, for snippets.
	Sources map[string][]byte
}

// Load reads, decodes, evaluates and checks a pipeline, reporting every
// problem found. The returned Pipeline is nil only when no file could be
// read; with errors, it holds what could be decoded, which is enough to
// print diagnostics with snippets.
func Load(opts Options) (*Pipeline, hcl.Diagnostics) {
	cfg, diags := config.ReadFiles(opts.Path, opts.Kinds)
	if cfg == nil {
		return nil, diags
	}
	p, more := check(cfg, opts)
	return p, append(diags, more...)
}

// LoadSources is Load for files already in memory, in folder dir.
func LoadSources(dir string, files []config.Source, opts Options) (*Pipeline, hcl.Diagnostics) {
	cfg, diags := config.Parse(dir, files, opts.Kinds)
	p, more := check(cfg, opts)
	return p, append(diags, more...)
}

// check runs every phase after decoding. Every phase runs whatever the
// earlier ones found, so that all problems are reported at once; a
// problem an earlier phase reported is not reported again by a later one
// that trips over it (an undeclared variable is one error, not also an
// "Unsupported attribute" when an expression using it is evaluated).
func check(cfg *config.Config, opts Options) (*Pipeline, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	p := &Pipeline{Config: cfg, Kinds: opts.Kinds, Sources: maps.Clone(cfg.Sources)}

	g, gd := graph.Build(cfg, opts.Kinds)
	diags = append(diags, gd...)
	p.Graph = g
	fd := checkFunctions(cfg)
	diags = append(diags, withoutReported(fd, errorRanges(gd))...)
	reported := errorRanges(diags)

	vars, varSources, vd := eval.Variables(cfg, opts.Vars, opts.AllowMissingVars)
	diags = append(diags, withoutReported(vd, reported)...)
	maps.Copy(p.Sources, varSources)
	p.Vars = vars

	roots, rd := eval.AllowedPaths(cfg, vars, opts.AllowedPaths)
	diags = append(diags, withoutReported(rd, reported)...)
	p.Roots = roots

	locals, ld := eval.Locals(cfg, opts.Kinds, vars, roots)
	diags = append(diags, withoutReported(ld, reported)...)
	p.Locals = locals

	settings, sd := eval.EvalSettings(cfg, p.Scope(nil))
	diags = append(diags, withoutReported(sd, reported)...)
	p.Settings = settings

	// With everything upstream unknown, evaluating each step checks
	// types, required attributes and the kinds' own rules. An attribute
	// whose references are already reported as wrong is left unknown, so
	// that the step's other attributes are still checked.
	scope := p.Scope(nil)
	for _, addr := range cfg.StepAddrs() {
		_, d := eval.Step(masked(cfg.Steps[addr], reported), scope)
		diags = append(diags, withoutReported(d, reported)...)
		_, d = eval.Resources(cfg.Steps[addr], scope)
		diags = append(diags, withoutReported(d, reported)...)
	}
	return p, diags
}

// errorRanges returns the ranges of the errors in diags.
func errorRanges(diags hcl.Diagnostics) []hcl.Range {
	var out []hcl.Range
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Subject != nil {
			out = append(out, *d.Subject)
		}
	}
	return out
}

// withoutReported drops the diagnostics whose subject overlaps a range
// already reported as an error.
func withoutReported(diags hcl.Diagnostics, reported []hcl.Range) hcl.Diagnostics {
	if len(reported) == 0 {
		return diags
	}
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Subject != nil && slices.ContainsFunc(reported, d.Subject.Overlaps) {
			continue
		}
		out = append(out, d)
	}
	return out
}

// masked returns step with every attribute whose expression holds a
// reported error replaced by an unknown value of any type.
func masked(step *config.Step, reported []hcl.Range) *config.Step {
	var out *config.Step
	for name, a := range step.Attributes {
		rng := a.Expr.Range()
		if !slices.ContainsFunc(reported, rng.Overlaps) {
			continue
		}
		if out == nil {
			c := *step
			c.Attributes = maps.Clone(step.Attributes)
			out = &c
		}
		m := *a
		m.Expr = hcl.StaticExpr(cty.DynamicVal, rng)
		out.Attributes[name] = &m
	}
	if out == nil {
		return step
	}
	return out
}

// Confinement returns the folders the pipeline may read and write: Roots,
// or its own folder alone when it was not loaded with any.
func (p *Pipeline) Confinement() *confine.Roots {
	if p.Roots == nil {
		return confine.New(p.Config.Dir, nil)
	}
	return p.Roots
}

// Scope returns an evaluation scope holding the pipeline's variables and
// locals, and for each step either its outputs from known (when present)
// or unknown values of its output types.
func (p *Pipeline) Scope(known map[config.StepAddr]cty.Value) *lang.Scope {
	outputs := make(map[config.StepAddr]cty.Value, len(p.Config.Steps))
	for addr, s := range p.Config.Steps {
		if v, ok := known[addr]; ok {
			outputs[addr] = v
		} else {
			outputs[addr] = cty.UnknownVal(s.Kind.Schema().OutputType())
		}
	}
	return &lang.Scope{Dir: p.Config.Dir, Roots: p.Confinement(), Vars: p.Vars, Locals: p.Locals, Steps: outputs}
}
