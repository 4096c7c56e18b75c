package main

import (
	"context"
	"time"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
	"github.com/pipe-ml/pipe/engine/plan"
)

type planCmd struct{}

func (*planCmd) Name() string     { return "plan" }
func (*planCmd) Synopsis() string { return "Show which steps would run, which are cached, and why" }
func (*planCmd) Usage() string {
	return `Usage: pipe plan [options] [PATH]

Works out, for each step of the pipeline in PATH (default the current
folder), whether apply would run it or take it from the cache, and why it
would run: it is new, an attribute changed (old → new), an input file
changed, the step's implementation changed, -replace asked, or it reads
the output of a step that runs (its key is known after apply). Nothing
runs and nothing is written but the stat cache.

Options:
  -out=FILE           Save the plan and print its digest; "pipe apply
                      -plan-digest=DIGEST FILE" runs exactly it, and
                      refuses when the pipeline, variables or inputs
                      changed since.
  -detailed-exitcode  Exit 0 when nothing would run, 2 when something
                      would, 1 on error.
  -json               Print the plan as one JSON document (see the README
                      for its format).
  -markdown           Print the plan as Markdown, for a pull request.
` + arguments.StepsHelp + arguments.WorkspaceHelp + arguments.ExecutorHelp + `  -no-color           Never colour the output.

Examples:
  pipe plan
  pipe plan -var 'data_dir=data/2026-11' -out=nightly.plan
  pipe plan -detailed-exitcode -json > plan.json; echo $?
`
}

func (*planCmd) Run(ctx context.Context, c *cli, args []string) error {
	a, err := arguments.ParsePlan(args)
	if err != nil {
		return err
	}
	v := c.view(a.View)
	w, err := c.openWorkspace(ctx, v, c.workspaceOptions(a.Path, a.Workspace))
	if err != nil {
		return err
	}
	defer w.Close()
	noteUnsigned(v, w)
	pl, diags := plan.Make(ctx, plan.Options{Pipeline: w.Pipeline, Store: w.Store, Files: w.Files, Targets: a.Targets, Replace: a.Replace, Executor: w.Executor, Keys: w.HashKey})
	v.Diagnostics(diags, w.Pipeline.Sources)
	if diags.HasErrors() {
		return errReported
	}
	doc := pl.Document(currentBuild().Version)
	if a.Out != "" {
		if doc, err = pl.Save(a.Out, currentBuild().Version, a.Path, w.StoreURL, time.Now()); err != nil {
			return err
		}
	}
	view := views.NewPlan(a.ViewType, v)
	if err := view.Plan(doc); err != nil {
		return err
	}
	if a.Out != "" {
		view.Saved(a.Out, doc.Digest)
	}
	if a.DetailedExitCode && doc.Summary.Run > 0 {
		return &exitErr{code: exitChanges}
	}
	return nil
}
