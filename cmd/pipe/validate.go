package main

import (
	"context"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
	"github.com/pipe-ml/pipe/engine/pipeline"
)

type validateCmd struct{}

func (*validateCmd) Name() string     { return "validate" }
func (*validateCmd) Synopsis() string { return "Check a pipeline for errors without running anything" }
func (*validateCmd) Usage() string {
	return `Usage: pipe validate [options] [PATH]

Checks the pipeline in PATH (a folder of *.pipe.hcl files, or one file;
default the current folder): syntax, blocks and attributes, references
between steps, types, cycles, functions and variable rules. It reads no
data and runs no step. Required variables without a value are left
unknown, so a pipeline can be checked before its values are known.

Exit status is 0 when the pipeline is valid and 1 when it is not.

Options:
  -json        Print the result as JSON (diagnostics with ranges).
` + arguments.VarsHelp + `  -no-color    Never colour the output.

Examples:
  pipe validate
  pipe validate -json pipelines/ | jq '.diagnostics[].summary'
`
}

func (*validateCmd) Run(ctx context.Context, c *cli, args []string) error {
	a, err := arguments.ParseValidate(args)
	if err != nil {
		return err
	}
	opts := c.loadOptions(a.Path, a.Vars)
	opts.AllowMissingVars = true
	p, diags := pipeline.Load(opts)
	name, steps, sources := "", 0, map[string][]byte(nil)
	if p != nil {
		sources = p.Sources
		if p.Config != nil {
			name, steps = p.Config.Name(), len(p.Config.Steps)
		}
	}
	if err := views.NewValidate(a.ViewType, c.view(a.View)).Result(name, steps, diags, sources); err != nil {
		return err
	}
	if diags.HasErrors() {
		return errReported
	}
	return nil
}
