package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/engine/apply"
	"github.com/pipe-ml/pipe/engine/diagfmt"
	"github.com/pipe-ml/pipe/engine/lock"
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
  -parallelism=N      Steps run at once, and the cores each may use.
                      Default: the number of CPUs (` + fmt.Sprint(runtime.NumCPU()) + ` here).
  -lock-timeout=DUR   Wait this long for another apply to finish (e.g.
                      30s, 5m). Default 0: fail at once.
  -trigger=WHAT       Record the run as manual, ci, schedule or watch.
                      Default: PIPE_TRIGGER, or ci in a CI job, or manual.
  -json               Print the plan, one event per line and the result as
                      JSON (NDJSON), for CI.
` + stepUsage + workspaceUsage + openLineageUsage + `  -no-color           Never colour the output.

Examples:
  pipe apply
  pipe apply -openlineage=http://marquez:5000
  pipe apply -target=train.model -parallelism=4
  pipe plan -out=nightly.plan && pipe apply nightly.plan
`
}

// applySummary is the last line of apply -json.
type applySummary struct {
	Type     string  `json:"type"`
	Status   string  `json:"status"`
	RunID    int64   `json:"run_id,omitempty"`
	Ran      int     `json:"ran"`
	Cached   int     `json:"cached"`
	Failed   int     `json:"failed"`
	Duration float64 `json:"duration_seconds"`
}

func (cmd *applyCmd) Run(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "")
	parallelism := fs.Int("parallelism", runtime.NumCPU(), "")
	lockTimeout := fs.Duration("lock-timeout", 0, "")
	triggerFlag := fs.String("trigger", "", "")
	olTarget := fs.String("openlineage", "", "")
	var wf workspaceFlags
	wf.register(fs)
	var sf stepFlags
	sf.register(fs)
	args, err := c.parseFlags(fs, cmd.Usage(), args)
	if err != nil {
		return err
	}
	path, err := onePath(args, cmd.Usage())
	if err != nil {
		return err
	}
	if *parallelism < 1 {
		return withHint(fmt.Errorf("-parallelism must be at least 1, not %d", *parallelism), "-parallelism=%d", runtime.NumCPU())
	}
	trigger, err := workspace.Trigger(*triggerFlag, c.env)
	if err != nil {
		return err
	}
	targets, replace, err := sf.addrs()
	if err != nil {
		return err
	}

	saved, isPlan, err := isPlanFile(path)
	if err != nil {
		return err
	}
	var w *workspace.Workspace
	if isPlan {
		if len(targets)+len(replace) > 0 {
			return withHint(errors.New("-target and -replace cannot change a saved plan"), "make a new plan with them: pipe plan -target=... -out=FILE")
		}
		if wf.store == "" {
			wf.store = saved.Saved.Store
		}
		targets, replace, err = (&stepFlags{targets: saved.Targets, replace: saved.Replace}).addrs()
		if err != nil {
			return err
		}
		var at string
		if at, err = saved.Saved.PipelinePath(); err != nil {
			return err
		}
		w, err = c.openWorkspace(ctx, at, &wf, saved.Saved.VariableValues())
	} else {
		w, err = c.openWorkspace(ctx, path, &wf, nil)
	}
	if err != nil {
		return err
	}
	defer w.Close()
	ol, err := c.openLineage(*olTarget, w)
	if err != nil {
		return err
	}

	live := c.color(c.stdout) && !workspace.InCI(c.env)
	var prog *progress
	out, err := runner.Run(ctx, runner.Options{
		Workspace: w, Trigger: trigger, PipeVersion: currentBuild().Version, Env: c.env,
		Parallelism: *parallelism, LockTimeout: *lockTimeout, Targets: targets, Replace: replace,
		Saved: saved, SavedPath: path, Logger: c.logger(),
		OnPlan: func(pl *plan.Plan, doc *plan.Document) {
			willRun := map[string]bool{}
			for _, s := range doc.Steps {
				willRun[s.Address] = s.Action == plan.Run
			}
			prog = newProgress(c.stdout, *asJSON, c.color(c.stdout), live, willRun)
			if *asJSON {
				prog.json(struct {
					Type string         `json:"type"`
					Plan *plan.Document `json:"plan"`
				}{"plan", doc})
				return
			}
			renderPlan(c.stdout, doc, c.color(c.stdout))
			fmt.Fprintln(c.stdout)
		},
		OnRun:  func(_ int64, run registry.Run) { ol.begin(run) },
		Events: func(e apply.Event) { prog.event(e); ol.event(e) },
	})
	ol.end(out, err)
	if prog != nil {
		prog.close()
	}
	if out != nil && len(out.Diagnostics) > 0 {
		if *asJSON {
			if prog == nil {
				prog = newProgress(c.stdout, true, false, false, nil)
			}
			for _, d := range diagfmt.JSON(diagfmt.Sort(out.Diagnostics), diagfmt.Sources(w.Pipeline.Sources)) {
				prog.json(struct {
					Type string `json:"type"`
					diagfmt.JSONDiagnostic
				}{"diagnostic", d})
			}
		} else {
			c.printLoadDiagnostics(w, out.Diagnostics)
		}
	}
	if err != nil && !errors.Is(err, runner.ErrInvalid) && *asJSON {
		// A program reading the events learns why there are none; the
		// message goes to stderr as well.
		if prog == nil {
			prog = newProgress(c.stdout, true, false, false, nil)
		}
		prog.json(struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		}{"error", strings.TrimPrefix(err.Error(), "lock: ")})
	}
	var held *lock.HeldError
	var stale *runner.StaleError
	switch {
	case errors.As(err, &held):
		return &exitErr{code: exitError, msg: strings.TrimPrefix(err.Error(), "lock: ")}
	case errors.As(err, &stale):
		return &exitErr{code: exitError, msg: stale.Error()}
	case errors.Is(err, runner.ErrInvalid):
		return errReported
	case err != nil:
		return err
	}
	res, status, runID, elapsed := out.Result, out.Status, out.RunID, out.Duration
	ran, cached, failed := res.Counts()
	if *asJSON {
		prog.json(applySummary{Type: "summary", Status: status, RunID: runID, Ran: ran, Cached: cached, Failed: failed, Duration: elapsed.Seconds()})
	} else {
		switch status {
		case registry.RunSucceeded:
			fmt.Fprintf(c.stdout, "\nApply complete: %d ran, %d cached, in %s. Run %d is in %s.\n", ran, cached, elapsed.Round(time.Millisecond), runID, w.RegistryPath)
		case registry.RunCancelled:
			fmt.Fprintf(c.stdout, "\nApply cancelled after %s: %d ran, %d cached. Apply again to resume from the cache.\n", elapsed.Round(time.Millisecond), ran, cached)
		default:
			fmt.Fprintf(c.stdout, "\nApply failed: %d ran, %d cached, %d failed or skipped. Fix the error and apply again: what finished is cached.\n", ran, cached, failed)
		}
	}
	if status != registry.RunSucceeded {
		return errReported
	}
	return nil
}
