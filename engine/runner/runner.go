package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/apply"
	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/redact"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/workspace"
)

// Options describe one apply.
type Options struct {
	// Workspace is loaded, with its store open.
	Workspace *workspace.Workspace
	// Trigger is what started the run (registry.Trigger*).
	Trigger     string
	PipeVersion string
	// Env is the environment, for the CI facts a run records.
	Env         []string
	Parallelism int
	// LockTimeout is how long to wait for another apply; 0 fails at once.
	LockTimeout time.Duration
	Targets     []config.StepAddr
	Replace     []config.StepAddr
	// Saved is a saved plan to apply exactly, or nil; SavedPath names it
	// in messages.
	Saved     *plan.Document
	SavedPath string
	Logger    *slog.Logger
	// OnPlan is called with the plan before anything runs (print it).
	OnPlan func(*plan.Plan, *plan.Document)
	// OnRun is called with the run's id once it is recorded.
	OnRun func(runID int64, run registry.Run)
	// Events receives the apply's progress events.
	Events func(apply.Event)
}

// Outcome is how an apply went.
type Outcome struct {
	RunID    int64
	Run      registry.Run
	Plan     *plan.Plan
	Result   *apply.Result
	Status   string
	Started  time.Time
	Duration time.Duration
	// Diagnostics from planning and from failed steps.
	Diagnostics hcl.Diagnostics
}

// ErrInvalid is returned when planning found errors; they are in the
// Outcome's Diagnostics.
var ErrInvalid = errors.New("runner: the pipeline cannot be planned")

// StaleError is returned when a saved plan no longer holds.
type StaleError struct {
	Path     string
	Problems []string
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("the saved plan %s is stale:\n  - %s\nMake a new plan with pipe plan -out=%s and review it.",
		e.Path, strings.Join(e.Problems, "\n  - "), e.Path)
}

// Run runs one apply. It returns an error when the run could not start
// or record its end (a held lock, an unreachable registry, an invalid
// pipeline, a stale plan); a run whose steps failed is an Outcome with
// Status "failed" and no error.
func Run(ctx context.Context, opts Options) (*Outcome, error) {
	w := opts.Workspace
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	held, err := w.Lock(ctx, "apply", opts.LockTimeout)
	if err != nil {
		return nil, err
	}
	defer held.Release()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-held.Lost():
			opts.Logger.Error("the state lock was lost (force-unlocked?); cancelling the apply")
			cancel()
		case <-ctx.Done():
		}
	}()

	// Files left by processes killed mid-write are only ever in the way.
	if n, err := w.Store.CleanTemps(ctx, time.Hour); err != nil {
		opts.Logger.Warn("cleaning temporary files of the store", "error", err)
	} else if n > 0 {
		opts.Logger.Info("removed temporary files left by killed processes", "files", n)
	}

	reg, err := w.OpenRegistry(ctx, false)
	if err != nil {
		return nil, err
	}
	defer reg.Close()
	name := w.Pipeline.Config.Name()
	if n, err := reg.MarkInterrupted(ctx, name); err != nil {
		return nil, err
	} else if n > 0 {
		opts.Logger.Warn("marked runs left running by a process that died as interrupted", "pipeline", name, "runs", n)
	}

	out := &Outcome{}
	pl, diags := plan.Make(ctx, plan.Options{
		Pipeline: w.Pipeline, Store: w.Store, Files: w.Files, Targets: opts.Targets, Replace: opts.Replace,
	})
	// Planning can quote a sensitive variable's value (a step kind that
	// checks an attribute); apply redacts its own diagnostics.
	out.Plan, out.Diagnostics = pl, redact.ForVariables(w.Pipeline.Config, w.Pipeline.Vars).Diagnostics(diags)
	if diags.HasErrors() {
		return out, ErrInvalid
	}
	if opts.Saved != nil {
		if problems := plan.Stale(opts.Saved, pl); len(problems) > 0 {
			return out, &StaleError{Path: opts.SavedPath, Problems: problems}
		}
	}
	if opts.OnPlan != nil {
		opts.OnPlan(pl, pl.Document(opts.PipeVersion))
	}

	out.Run = w.RunRecord(ctx, opts.Trigger, opts.PipeVersion, opts.Env)
	out.RunID, err = reg.BeginRun(ctx, out.Run)
	if err != nil {
		return out, err
	}
	out.Run.ID = out.RunID
	if opts.OnRun != nil {
		opts.OnRun(out.RunID, out.Run)
	}
	out.Started = time.Now()
	res, err := apply.Execute(ctx, apply.Options{
		Plan: pl, Store: w.Store, Files: w.Files, Registry: reg, RunID: out.RunID,
		Parallelism: opts.Parallelism, Logger: opts.Logger, Events: opts.Events, PipeVersion: opts.PipeVersion,
	})
	out.Duration = time.Since(out.Started)
	if err != nil {
		reg.EndRun(context.WithoutCancel(ctx), out.RunID, registry.RunFailed, err.Error())
		return out, err
	}
	out.Result = res
	out.Status = res.Status()
	out.Diagnostics = append(out.Diagnostics, res.Diagnostics...)
	var errMsg string
	for _, d := range res.Diagnostics {
		if d.Severity == hcl.DiagError {
			errMsg = d.Summary + ": " + d.Detail
			break
		}
	}
	if err := reg.EndRun(context.WithoutCancel(ctx), out.RunID, out.Status, errMsg); err != nil {
		return out, fmt.Errorf("runner: recording the end of run %d: %w", out.RunID, err)
	}
	return out, nil
}
