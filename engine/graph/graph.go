package graph

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/dag"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/steps"
)

// Graph is a pipeline's dependency graph.
type Graph struct {
	dag.Graph
	// Refs holds every reference each step's attributes make, in source
	// order, by step address.
	Refs map[config.StepAddr][]*lang.Reference
	// Edges says why each edge exists, keyed by dependent then
	// dependency.
	Edges map[config.StepAddr]map[config.StepAddr]*Edge
}

// Edge explains one dependency between two steps.
type Edge struct {
	// Outputs are the dependency's outputs the dependent uses, sorted.
	Outputs []string
	// Data is true when the dependent uses the dependency's outputs
	// (named in Outputs, or all of them through KIND.NAME).
	Data bool
	// DependsOn is true when a depends_on entry asks for the order.
	DependsOn bool
	// Range is where the first reference (or depends_on entry) is written.
	Range hcl.Range
}

// Edge returns why from depends on to, or nil.
func (g *Graph) Edge(from, to config.StepAddr) *Edge {
	return g.Edges[from][to]
}

// Order returns the steps in topological order (dependencies first, ties
// by address). It must only be called on a graph Build returned without
// errors.
func (g *Graph) Order() []config.StepAddr {
	order, _ := g.TopoOrder()
	addrs := make([]config.StepAddr, len(order))
	for i, s := range order {
		addrs[i], _ = config.ParseStepAddr(s)
	}
	return addrs
}

// Build builds the graph of cfg's steps.
func Build(cfg *config.Config, kinds *steps.Catalog) (*Graph, hcl.Diagnostics) {
	g := &Graph{
		Refs:  map[config.StepAddr][]*lang.Reference{},
		Edges: map[config.StepAddr]map[config.StepAddr]*Edge{},
	}
	var diags hcl.Diagnostics
	for _, addr := range cfg.StepAddrs() {
		g.Add(addr.String())
	}
	for _, addr := range cfg.StepAddrs() {
		step := cfg.Steps[addr]
		for _, name := range sortedByPosition(step.Attributes) {
			refs, rd := lang.ReferencesIn(step.Attributes[name].Expr, kinds)
			diags = append(diags, rd...)
			for _, ref := range refs {
				diags = append(diags, checkDeclared(cfg, ref)...)
				if ref.Kind != lang.RefStep {
					continue
				}
				target, ok := cfg.Steps[ref.Step]
				if !ok {
					diags = append(diags, undeclaredStep(cfg, ref.Step, ref.Range))
					continue
				}
				if ref.Output != "" {
					if _, ok := target.Kind.Schema().Output(ref.Output); !ok {
						diags = append(diags, unknownOutput(target, ref))
						continue
					}
				}
				g.Refs[addr] = append(g.Refs[addr], ref)
				e := g.edge(addr, ref.Step, ref.Range)
				e.Data = true
				if ref.Output != "" && !slices.Contains(e.Outputs, ref.Output) {
					e.Outputs = append(e.Outputs, ref.Output)
					slices.Sort(e.Outputs)
				}
			}
		}
		for _, dep := range step.DependsOn {
			if _, ok := kinds.Lookup(dep.Addr.Kind); !ok {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid depends_on reference",
					Detail:   fmt.Sprintf("depends_on lists steps by address, KIND.NAME, and %q is not a step kind (%s).", dep.Addr.Kind, strings.Join(kinds.Names(), ", ")),
					Subject:  dep.Range.Ptr(),
				})
				continue
			}
			if _, ok := cfg.Steps[dep.Addr]; !ok {
				diags = append(diags, undeclaredStep(cfg, dep.Addr, dep.Range))
				continue
			}
			g.edge(addr, dep.Addr, dep.Range).DependsOn = true
		}
	}
	diags = append(diags, checkStatic(cfg, kinds)...)
	diags = append(diags, g.cycleDiagnostics()...)
	return g, diags
}

func (g *Graph) edge(from, to config.StepAddr, rng hcl.Range) *Edge {
	g.Connect(from.String(), to.String())
	if g.Edges[from] == nil {
		g.Edges[from] = map[config.StepAddr]*Edge{}
	}
	e := g.Edges[from][to]
	if e == nil {
		e = &Edge{Range: rng}
		g.Edges[from][to] = e
	}
	return e
}

// checkDeclared reports references to variables and locals that do not
// exist.
func checkDeclared(cfg *config.Config, ref *lang.Reference) hcl.Diagnostics {
	var names []string
	var what string
	switch ref.Kind {
	case lang.RefVar:
		if _, ok := cfg.Variables[ref.Name]; ok {
			return nil
		}
		what = "variable"
		for n := range cfg.Variables {
			names = append(names, n)
		}
	case lang.RefLocal:
		if _, ok := cfg.Locals[ref.Name]; ok {
			return nil
		}
		what = "local value"
		for n := range cfg.Locals {
			names = append(names, n)
		}
	default:
		return nil
	}
	slices.Sort(names)
	detail := fmt.Sprintf("No %s named %q is declared.", what, ref.Name)
	if s := lang.Suggest(ref.Name, names); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	} else if ref.Kind == lang.RefVar {
		detail += fmt.Sprintf(" Declare it with a variable %q block.", ref.Name)
	} else {
		detail += " Declare it in a locals block."
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Reference to undeclared " + what,
		Detail:   detail,
		Subject:  ref.Range.Ptr(),
	}}
}

func undeclaredStep(cfg *config.Config, addr config.StepAddr, rng hcl.Range) *hcl.Diagnostic {
	var same []string
	for a := range cfg.Steps {
		if a.Kind == addr.Kind {
			same = append(same, a.Name)
		}
	}
	slices.Sort(same)
	detail := fmt.Sprintf("No %s step named %q is declared in this pipeline.", addr.Kind, addr.Name)
	if s := lang.Suggest(addr.Name, same); s != "" {
		detail += fmt.Sprintf(" Did you mean %s.%s?", addr.Kind, s)
	} else if len(same) > 0 {
		detail += fmt.Sprintf(" The %s steps are: %s.", addr.Kind, strings.Join(same, ", "))
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Reference to undeclared step",
		Detail:   detail,
		Subject:  rng.Ptr(),
	}
}

func unknownOutput(target *config.Step, ref *lang.Reference) *hcl.Diagnostic {
	var names []string
	for _, o := range target.Kind.Schema().Outputs {
		names = append(names, o.Name)
	}
	detail := fmt.Sprintf("A %s step has no output named %q.", ref.Step.Kind, ref.Output)
	if s := lang.Suggest(ref.Output, names); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	}
	detail += fmt.Sprintf(" Its outputs are: %s.", strings.Join(names, ", "))
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Reference to unknown output",
		Detail:   detail,
		Subject:  ref.Range.Ptr(),
	}
}

// checkStatic checks the references of locals, settings, resources blocks
// and variable validations: they are evaluated before any step runs, so
// they may not refer to steps.
func checkStatic(cfg *config.Config, kinds *steps.Catalog) hcl.Diagnostics {
	var diags hcl.Diagnostics
	check := func(expr hcl.Expression, where string) {
		refs, rd := lang.ReferencesIn(expr, kinds)
		diags = append(diags, rd...)
		for _, ref := range refs {
			if ref.Kind == lang.RefStep {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Step reference not allowed here",
					Detail:   fmt.Sprintf("%s are known before any step runs, so they cannot use %s. Write the expression in the attribute of the step that needs it.", where, ref),
					Subject:  ref.Range.Ptr(),
				})
				continue
			}
			diags = append(diags, checkDeclared(cfg, ref)...)
		}
	}
	for _, name := range sortedLocals(cfg) {
		check(cfg.Locals[name].Expr, "Local values")
	}
	if s := cfg.Settings; s != nil {
		if s.Store != nil {
			check(s.Store, "Settings")
		}
		if s.Registry != nil {
			check(s.Registry, "Settings")
		}
		if s.Executor != nil {
			check(s.Executor, "Settings")
		}
	}
	for _, addr := range cfg.StepAddrs() {
		if r := cfg.Steps[addr].Resources; r != nil {
			for _, name := range config.ResourceAttributeNames() {
				if a, ok := r.Attributes[name]; ok {
					check(a.Expr, "Resources")
				}
			}
		}
	}
	for _, name := range sortedVariables(cfg) {
		for _, v := range cfg.Variables[name].Validations {
			check(v.Condition, "Variable validations")
			check(v.ErrorMessage, "Variable validations")
		}
	}
	return diags
}

func (g *Graph) cycleDiagnostics() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, cycle := range g.Cycles() {
		addrs := make([]config.StepAddr, len(cycle))
		for i, s := range cycle {
			addrs[i], _ = config.ParseStepAddr(s)
		}
		var path, links []string
		for i, from := range addrs {
			to := addrs[(i+1)%len(addrs)]
			e := g.Edge(from, to)
			path = append(path, from.String())
			how := "depends_on " + to.String()
			switch {
			case len(e.Outputs) > 0:
				how = "uses " + to.String() + "." + e.Outputs[0]
			case e.Data:
				how = "uses " + to.String()
			}
			links = append(links, fmt.Sprintf("%s %s (%s)", from, how, e.Range.String()))
		}
		path = append(path, addrs[0].String())
		first := g.Edge(addrs[0], addrs[(1)%len(addrs)])
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cycle between steps",
			Detail: fmt.Sprintf("The steps %s depend on each other in a circle: %s. A step cannot depend on itself, directly or through others; remove one of these references.",
				strings.Join(path, " → "), strings.Join(links, "; ")),
			Subject: first.Range.Ptr(),
		})
	}
	return diags
}

func sortedByPosition(attrs hcl.Attributes) []string {
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		return attrs[a].Range.Start.Byte - attrs[b].Range.Start.Byte
	})
	return names
}

func sortedLocals(cfg *config.Config) []string {
	names := make([]string, 0, len(cfg.Locals))
	for n := range cfg.Locals {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func sortedVariables(cfg *config.Config) []string {
	names := make([]string, 0, len(cfg.Variables))
	for n := range cfg.Variables {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
