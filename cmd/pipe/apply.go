package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
	"github.com/pipe-ml/pipe/engine/apply"
	"github.com/pipe-ml/pipe/engine/config"
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
pipeline, its variables or its inputs changed since, when it would apply
to another store or pipeline folder than this command resolves (the
store from -store, PIPE_STORE or settings.store; the folder must be the
current one or inside it), or when -plan-digest names another plan. A
file that is not a whole plan is refused as damaged.

Only one apply runs at a time on a state folder; Ctrl-C cancels the
running steps cleanly (press it twice to stop at once).

Options:
` + arguments.ParallelismHelp + `  -lock-timeout=DUR   Wait this long for another apply to finish (e.g.
                      30s, 5m). Default 0: fail at once.
  -trigger=WHAT       Record the run as manual, ci, schedule or watch.
                      Default: PIPE_TRIGGER, or ci in a CI job, or manual.
  -json               Print the plan, one event per line and the result as
                      JSON (NDJSON), for CI.
  -plan-digest=sha256:HEX
                      Apply PLANFILE only if its digest is this one: the
                      digest plan -out and show print, and the plan's
                      pull-request comment shows.
  -trust-plan-location
                      Apply PLANFILE against the store and pipeline folder
                      it names even when they are not what this command
                      resolves (check them with pipe show first).
` + arguments.StepsHelp + arguments.WorkspaceHelp + arguments.ExecutorHelp + openLineageUsage + `  -no-color           Never colour the output.

Examples:
  pipe apply
  pipe apply -openlineage=http://marquez:5000
  pipe apply -target=train.model -parallelism=4
  pipe plan -out=nightly.plan && pipe apply nightly.plan
  pipe apply -plan-digest=sha256:3f2a… reviewed.plan
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
	noteUnsigned(v, w)
	ol, err := c.openLineage(a.OpenLineage, w)
	if err != nil {
		return err
	}
	view := views.NewApply(a.ViewType, v)
	out, err := runner.Run(ctx, runner.Options{
		Workspace: w, Trigger: trigger, PipeVersion: currentBuild().Version, Env: c.env,
		Parallelism: a.Parallelism, LockTimeout: a.LockTimeout, Targets: a.Targets, Replace: a.Replace,
		Saved: saved, SavedPath: a.Path, Logger: c.logger(), Executors: c.executors(w),
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
// saved plan was made from, with the plan's variables, targets and
// replacements (which it sets in a). saved is the plan, or nil. A saved
// plan must have the digest -plan-digest names, and apply to the store
// and pipeline folder this apply resolves by itself (unless
// -trust-plan-location): a plan file is only as trustworthy as whoever
// could edit it after it was reviewed.
func (c *cli) openApply(ctx context.Context, v *views.View, a *arguments.Apply) (w *workspace.Workspace, saved *plan.Document, err error) {
	saved, err = readPlanArg(a.Path)
	if err != nil {
		return nil, nil, withHint(err, "make the plan again: pipe plan -out=FILE")
	}
	if saved == nil {
		if a.PlanDigest != "" || a.TrustPlanLocation {
			return nil, nil, withHint(fmt.Errorf("-plan-digest and -trust-plan-location are for a saved plan, and %s is a pipeline", a.Path), "pipe apply -plan-digest=sha256:... PLANFILE")
		}
		w, err = c.openWorkspace(ctx, v, c.workspaceOptions(a.Path, a.Workspace))
		return w, nil, err
	}
	if a.PlanDigest != "" {
		if err := saved.CheckDigest(a.Path, a.PlanDigest); err != nil {
			return nil, nil, err
		}
	}
	if len(a.Targets)+len(a.Replace) > 0 {
		return nil, nil, withHint(errors.New("-target and -replace cannot change a saved plan"), "make a new plan with them: pipe plan -target=... -out=FILE")
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
	if w, err = c.resolveWorkspace(v, opts); err != nil {
		return nil, nil, err
	}
	if err := checkPlanLocation(a, saved, w); err != nil {
		return nil, nil, err
	}
	if err := c.openStore(ctx, w); err != nil {
		return nil, nil, err
	}
	return w, saved, nil
}

// checkPlanLocation refuses a saved plan that would apply to another
// store or pipeline folder than w resolved, unless -trust-plan-location,
// which applies it against the plan's own store.
func checkPlanLocation(a *arguments.Apply, saved *plan.Document, w *workspace.Workspace) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	moved := saved.Saved.Moved(w.StoreURL, w.Pipeline.Config.Dir, wd)
	if len(moved) == 0 {
		return nil
	}
	if a.TrustPlanLocation {
		w.StoreURL = saved.Saved.Store
		return nil
	}
	return withHint(fmt.Errorf("the saved plan %s does not apply here: %s", a.Path, strings.Join(moved, "; and ")),
		"run apply from the folder where plan ran, with the same store (-store, PIPE_STORE); or, having checked the plan with pipe show, -trust-plan-location")
}

// readPlanArg reads the saved plan that apply's PATH names, or returns
// nil when PATH is a pipeline: a folder, or a file named like a pipeline
// file (*.pipe.hcl, *.pipe.json). Any other file is a plan, and one that
// does not read as a plan is a damaged plan, never parsed as a pipeline.
func readPlanArg(path string) (*plan.Document, error) {
	info, err := os.Stat(path)
	if err != nil || info.IsDir() {
		return nil, nil
	}
	for _, suf := range config.FileSuffixes {
		if strings.HasSuffix(path, suf) {
			return nil, nil
		}
	}
	return plan.Read(path)
}
