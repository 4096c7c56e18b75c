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
	"github.com/pipe-ml/pipe/engine/executor"
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
	// Executors run the steps placed on them, by name (apply.Options).
	Executors map[string]executor.Executor
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
	if err := w.Store.CheckBucket(ctx); err != nil {
		return nil, err
	}
	held, err := w.Lock(ctx, "apply", opts.LockTimeout)
	if err != nil {
		return nil, err
	}
	defer held.Release()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go cancelOnLostLock(ctx, held, cancel, opts.Logger)
	// The run's Git facts are found while the registry opens and the
	// pipeline is planned.
	runRecord := w.StartRunRecord(ctx, opts.Trigger, opts.PipeVersion, opts.Env)
	// Cleaning walks the whole store: beside the apply, which never
	// needs it done (what it removes is only ever in the way of the
	// disk), and waited for before the lock is released.
	cleaned := make(chan struct{})
	go func() {
		defer close(cleaned)
		cleanTemps(ctx, w, opts.Logger)
	}()
	defer func() { <-cleaned }()

	reg, err := openRegistry(ctx, w, opts)
	if err != nil {
		return nil, err
	}
	defer reg.Close()

	out := &Outcome{}
	pl, err := planRun(ctx, w, opts, out)
	if err != nil {
		return out, err
	}
	for _, u := range reg.Status().UntrustedWarnings() {
		out.Diagnostics = append(out.Diagnostics, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: u.Summary, Detail: u.Detail})
	}
	out.Run = runRecord()
	out.RunID, err = reg.BeginRun(ctx, out.Run)
	if err != nil {
		return out, err
	}
	out.Run.ID = out.RunID
	if opts.OnRun != nil {
		opts.OnRun(out.RunID, out.Run)
	}
	return out, execute(ctx, w, opts, reg, pl, out)
}

// cancelOnLostLock cancels the apply when the state lock is taken away.
func cancelOnLostLock(ctx context.Context, held *workspace.Held, cancel func(), logger *slog.Logger) {
	select {
	case <-held.Lost():
		logger.Error("the state lock was lost (force-unlocked?); cancelling the apply")
		cancel()
	case <-ctx.Done():
	}
}

// cleanTemps removes the files left by processes killed mid-write in the
// store (store.CleanTemps: walks a local store, so only apply, holding the
// lock, does it; every command sweeps TMPDIR and the state folder): they
// are only ever in the way.
func cleanTemps(ctx context.Context, w *workspace.Workspace, logger *slog.Logger) {
	if n, err := w.Store.CleanTemps(ctx, time.Hour); err != nil {
		logger.Warn("cleaning temporary files of the store", "error", err)
	} else if n > 0 {
		logger.Info("removed temporary files left by killed processes", "files", n)
	}
	if w.CacheProblem != nil {
		logger.Warn("no local object cache: every read of the store downloads", "error", w.CacheProblem)
	}
}

// openRegistry opens the registry, brought up to date from the store's
// log, and marks the runs a dead process left running from this state
// folder as interrupted. A registry that cannot be brought up to date is
// an error here: a run must be recorded on top of the whole history.
func openRegistry(ctx context.Context, w *workspace.Workspace, opts Options) (*registry.DB, error) {
	reg, err := w.OpenRegistry(ctx, false, opts.PipeVersion)
	if err != nil {
		return nil, err
	}
	if st := reg.Status(); st.Err != nil {
		reg.Close()
		return nil, st.Err
	}
	name := w.Pipeline.Config.Name()
	if n, err := reg.MarkInterrupted(ctx, name, w.Origin()); err != nil {
		reg.Close()
		return nil, err
	} else if n > 0 {
		opts.Logger.Warn("marked runs left running by a process that died as interrupted", "pipeline", name, "runs", n)
	}
	return reg, nil
}

// planRun plans, checks a saved plan still holds, and shows the plan.
func planRun(ctx context.Context, w *workspace.Workspace, opts Options, out *Outcome) (*plan.Plan, error) {
	pl, diags := plan.Make(ctx, plan.Options{
		Pipeline: w.Pipeline, Store: w.Store, Files: w.Files, Targets: opts.Targets, Replace: opts.Replace, Executor: w.Executor, Keys: w.HashKey,
	})
	// Planning can quote a sensitive variable's value (a step kind that
	// checks an attribute); apply redacts its own diagnostics.
	out.Plan, out.Diagnostics = pl, redact.ForVariables(w.Pipeline.Config, w.Pipeline.Vars).Diagnostics(diags)
	if diags.HasErrors() {
		return nil, ErrInvalid
	}
	if opts.Saved != nil {
		if problems := plan.Stale(opts.Saved, pl); len(problems) > 0 {
			return nil, &StaleError{Path: opts.SavedPath, Problems: problems}
		}
	}
	if opts.OnPlan != nil {
		opts.OnPlan(pl, pl.Document(opts.PipeVersion))
	}
	return pl, nil
}

// execute applies the plan and records how the run ended.
func execute(ctx context.Context, w *workspace.Workspace, opts Options, reg *registry.DB, pl *plan.Plan, out *Outcome) error {
	out.Started = time.Now()
	res, err := apply.Execute(ctx, apply.Options{
		Plan: pl, Store: w.Store, Files: w.Files, Registry: reg, RunID: out.RunID,
		Parallelism: opts.Parallelism, Logger: opts.Logger, Events: opts.Events, PipeVersion: opts.PipeVersion,
		Executors: opts.Executors,
	})
	out.Duration = time.Since(out.Started)
	if err != nil {
		reg.EndRun(context.WithoutCancel(ctx), out.RunID, registry.RunFailed, err.Error())
		return err
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
		return fmt.Errorf("runner: recording the end of run %d: %w", out.RunID, err)
	}
	return nil
}
