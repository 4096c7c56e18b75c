package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/graph"
	"github.com/pipe-ml/pipe/engine/pipeline"
)

type graphCmd struct{}

func (*graphCmd) Name() string { return "graph" }
func (*graphCmd) Synopsis() string {
	return "Print the pipeline's steps and dependencies as DOT or Mermaid"
}
func (*graphCmd) Usage() string {
	return `Usage: pipe graph [options] [PATH]

Prints the dependency graph of the pipeline in PATH (default the current
folder): one node per step, an edge from each step to the steps that use
its outputs, labelled with the outputs used. Edges from depends_on are
dashed. The output is the same byte for byte from run to run.

Options:
  -format=dot|mermaid  Graphviz DOT (default) or a Mermaid flowchart.
` + varUsage + `
Examples:
  pipe graph | dot -Tsvg > pipeline.svg
  pipe graph -format=mermaid examples/quickstart
`
}

func (cmd *graphCmd) Run(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("graph", flag.ContinueOnError)
	format := fs.String("format", "dot", "")
	var vars varFlags
	vars.register(fs)
	args, err := c.parseFlags(fs, cmd.Usage(), args)
	if err != nil {
		return err
	}
	if *format != "dot" && *format != "mermaid" {
		return withHint(fmt.Errorf("unknown graph format %q", *format), "-format=dot or -format=mermaid")
	}
	path, err := onePath(args, cmd.Usage())
	if err != nil {
		return err
	}
	opts := c.loadOptions(path, &vars)
	opts.AllowMissingVars = true
	p, diags := pipeline.Load(opts)
	if diags.HasErrors() {
		var sources map[string][]byte
		if p != nil {
			sources = p.Sources
		}
		c.printDiagnostics(diags, sources)
		return errReported
	}
	if *format == "mermaid" {
		return writeMermaid(c.stdout, p)
	}
	return writeDOT(c.stdout, p)
}

// edgesOut lists, for each step in address order, the steps that use it.
func edgesOut(p *pipeline.Pipeline, visit func(from, to config.StepAddr, e *graph.Edge)) {
	for _, to := range p.Config.StepAddrs() {
		for _, from := range p.Config.StepAddrs() {
			if e := p.Graph.Edge(to, from); e != nil {
				visit(from, to, e)
			}
		}
	}
}

func writeDOT(w io.Writer, p *pipeline.Pipeline) error {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", strconv.Quote(p.Config.Name()))
	b.WriteString("  rankdir = \"LR\";\n")
	b.WriteString("  node [shape = \"box\", style = \"rounded\"];\n")
	for _, addr := range p.Config.StepAddrs() {
		fmt.Fprintf(&b, "  %s;\n", strconv.Quote(addr.String()))
	}
	edgesOut(p, func(from, to config.StepAddr, e *graph.Edge) {
		var attrs []string
		switch {
		case len(e.Outputs) > 0:
			attrs = append(attrs, "label = "+strconv.Quote(strings.Join(e.Outputs, ", ")))
		case !e.Data:
			attrs = append(attrs, "style = \"dashed\"")
		}
		if len(attrs) == 0 {
			fmt.Fprintf(&b, "  %s -> %s;\n", strconv.Quote(from.String()), strconv.Quote(to.String()))
			return
		}
		fmt.Fprintf(&b, "  %s -> %s [%s];\n", strconv.Quote(from.String()), strconv.Quote(to.String()), strings.Join(attrs, ", "))
	})
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMermaid(w io.Writer, p *pipeline.Pipeline) error {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := map[config.StepAddr]string{}
	for i, addr := range p.Config.StepAddrs() {
		ids[addr] = fmt.Sprintf("s%d", i)
		fmt.Fprintf(&b, "  %s[\"%s\"]\n", ids[addr], addr)
	}
	edgesOut(p, func(from, to config.StepAddr, e *graph.Edge) {
		switch {
		case len(e.Outputs) > 0:
			fmt.Fprintf(&b, "  %s -->|%s| %s\n", ids[from], strings.Join(e.Outputs, ", "), ids[to])
		case e.Data:
			fmt.Fprintf(&b, "  %s --> %s\n", ids[from], ids[to])
		default:
			fmt.Fprintf(&b, "  %s -.-> %s\n", ids[from], ids[to])
		}
	})
	_, err := io.WriteString(w, b.String())
	return err
}
