package main

import (
	"context"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
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
` + arguments.VarsHelp + `
Examples:
  pipe graph | dot -Tsvg > pipeline.svg
  pipe graph -format=mermaid examples/quickstart
`
}

func (*graphCmd) Run(ctx context.Context, c *cli, args []string) error {
	a, err := arguments.ParseGraph(args)
	if err != nil {
		return err
	}
	v := c.view(a.View)
	opts := c.loadOptions(a.Path, a.Vars)
	opts.AllowMissingVars = true
	p, diags := pipeline.Load(opts)
	if diags.HasErrors() {
		var sources map[string][]byte
		if p != nil {
			sources = p.Sources
		}
		v.Diagnostics(diags, sources)
		return errReported
	}
	return views.NewGraph(a.ViewType, v).Pipeline(p)
}
