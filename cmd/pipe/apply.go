package main

import (
	"context"
	"errors"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
	"github.com/pipe-ml/pipe/engine/apply"
	"github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/runner"
	"github.com/pipe-ml/pipe/engine/workspace"
)

type applyCmd struct{}

func (*applyCmd) Name() string     { return "apply" }
func (*applyCmd) Synopsis() string { return "Run the steps that are not cached, and record the run" }
func (*applyCmd) Usage() string {
	return `Usage: pipe apply [options] [PATH | PLANFILE]

Plans the pipeline in PATH (default the current folder), prints the plan,
and runs it: every step that is not cached runs as soon as the steps it
needs are done, independent steps at the same time. A step's outputs and
cache entry are stored before any step after it starts. When a step fails,
the steps after it are skipped, the others finish, and the exit status is
1; a second apply resumes from the cache. Every run is recorded in the
lineage registry.

Given a PLANFILE saved by "pipe plan -out=FILE", apply runs exactly that
plan, with the variables it was made with, and refuses it when the
pipeline, its variables or its inputs changed since.

Only one apply runs at a time on a state folder; Ctrl-C cancels the
running steps cleanly (press it twice to stop at once).

Options:
` + arguments.ParallelismHelp + `  -lock-timeout=DUR   Wait this long for another apply to finish (e.g.
                      30s, 5m). Default 0: fail at once.
  -trigger=WHAT       Record the run as manual, ci, schedule or watch.
                      Default: PIPE_TRIGGER, or ci in a CI job, or manual.
  -json               Print the plan, one event per line and the result as
                      JSON (NDJSON), for CI.
` + arguments.StepsHelp + arguments.WorkspaceHelp + arguments.ExecutorHelp + openLineageUsage + `  -no-color           Never colour the output.

Examples:
  pipe apply
  pipe apply -openlineage=http://marquez:5000
  pipe apply -target=train.model -parallelism=4
  pipe plan -out=nightly.plan && pipe apply nightly.plan
`
}

func (*applyCmd) Run(ctx context.Context, c *cli, args []string) error {
	a, err := arguments.ParseApply(args)
	if err != nil {
		return err
	}
	trigger, err := workspace.Trigger(a.Trigger, c.env)
	if err != nil {
		return err
	}
	v := c.view(a.View)
	w, saved, err := c.openApply(ctx, v, a)
	if err != nil {
		return err
	}
	defer w.Close()
	ol, err := c.openLineage(a.OpenLineage, w)
	if err != nil {
		return err
	}
	view := views.NewApply(a.ViewType, v)
	out, err := runner.Run(ctx, runner.Options{
		Workspace: w, Trigger: trigger, PipeVersion: currentBuild().Version, Env: c.env,
		Parallelism: a.Parallelism, LockTimeout: a.LockTimeout, Targets: a.Targets, Replace: a.Replace,
		Saved: saved, SavedPath: a.Path, Logger: c.logger(),
		OnPlan: func(_ *plan.Plan, doc *plan.Document) { view.Plan(doc) },
		OnRun:  func(_ int64, run registry.Run) { ol.begin(run) },
		Events: func(e apply.Event) { view.Event(e); ol.event(e) },
	})
	ol.end(out, err)
	view.Stop()
	if out != nil {
		view.Diagnostics(out.Diagnostics, w.Pipeline.Sources)
	}
	if err != nil {
		if !errors.Is(err, runner.ErrInvalid) {
			view.Failed(err)
		}
		return err
	}
	view.Result(out, w.RegistryPath)
	if out.Status != registry.RunSucceeded {
		return errReported
	}
	return nil
}

// openApply opens the workspace a.Path names: a pipeline, or the one a
// saved plan was made from, with the plan's variables, store, targets and
// replacements (which it sets in a). saved is the plan, or nil.
func (c *cli) openApply(ctx context.Context, v *views.View, a *arguments.Apply) (w *workspace.Workspace, saved *plan.Document, err error) {
	saved, isPlan, err := isPlanFile(a.Path)
	if err != nil {
		return nil, nil, err
	}
	if !isPlan {
		w, err = c.openWorkspace(ctx, v, c.workspaceOptions(a.Path, a.Workspace))
		return w, nil, err
	}
	if len(a.Targets)+len(a.Replace) > 0 {
		return nil, nil, withHint(errors.New("-target and -replace cannot change a saved plan"), "make a new plan with them: pipe plan -target=... -out=FILE")
	}
	if a.Store == "" {
		a.Store = saved.Saved.Store
	}
	if a.Targets, err = arguments.StepAddrs("target", saved.Targets); err != nil {
		return nil, nil, err
	}
	if a.Replace, err = arguments.StepAddrs("replace", saved.Replace); err != nil {
		return nil, nil, err
	}
	at, err := saved.Saved.PipelinePath()
	if err != nil {
		return nil, nil, err
	}
	opts := c.workspaceOptions(at, a.Workspace)
	opts.Vars.Values = saved.Saved.VariableValues()
	w, err = c.openWorkspace(ctx, v, opts)
	return w, saved, err
}
