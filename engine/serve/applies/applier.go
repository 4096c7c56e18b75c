package applies

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/pipe-ml/pipe/engine/apply"
	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/lock"
	"github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/runner"
	"github.com/pipe-ml/pipe/engine/serve/snapshot"
	"github.com/pipe-ml/pipe/engine/serve/trigger"
	"github.com/pipe-ml/pipe/engine/workspace"
)

// Options configure an Applier.
type Options struct {
	Queue *Queue
	Clock trigger.Clock
	// Load loads the pipeline afresh and makes everything that depends on
	// it current (engine/serve's reload).
	Load func(ctx context.Context) *snapshot.Snapshot
	// PipeVersion, Env and Parallelism go to the runner: the version and
	// CI facts runs record, and the bound on concurrent steps.
	PipeVersion string
	Env         []string
	Parallelism int
	// Executors gives an apply the executors its steps may run on, for
	// its workspace; nil means the local executor alone.
	Executors func(*workspace.Workspace) map[string]executor.Executor
	// LockRetry is how long to wait before checking again when another
	// apply held the state lock.
	LockRetry time.Duration
	Log       *slog.Logger
	// Applied, when set, is called after every apply that started
	// (engine/serve brings its metrics up to date).
	Applied func(ctx context.Context)
}

// Applier handles requests one at a time: it is the only goroutine that
// applies.
type Applier struct {
	opts Options
	// AfterCheck, when set (by tests) before Loop starts, is called after
	// each request is handled.
	AfterCheck func(Check)

	mu      sync.Mutex
	applied string    // fingerprint of the last plan applied
	check   *Check    // the last check's outcome
	current *Progress // the apply in progress, or nil
	// followers are told of every change of current (Follow).
	followers map[chan *Progress]bool
}

// New returns an Applier; Loop starts it.
func New(opts Options) *Applier { return &Applier{opts: opts} }

// Current returns a copy of the apply in progress, or nil.
func (a *Applier) Current() *Progress {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.current.clone()
}

// LastCheck returns a copy of the last check's outcome, or nil.
func (a *Applier) LastCheck() *Check {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.check == nil {
		return nil
	}
	c := *a.check
	return &c
}

// Applying reports whether an apply is in progress.
func (a *Applier) Applying() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.current != nil
}

// Loop handles requests one at a time until ctx ends. Applies run under
// applyCtx, which may outlive ctx (a shutdown's grace).
func (a *Applier) Loop(ctx, applyCtx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.opts.Queue.Wake():
		}
		if ctx.Err() != nil {
			return
		}
		r := a.opts.Queue.Take()
		if r == nil {
			continue
		}
		c := a.handle(ctx, applyCtx, *r)
		a.mu.Lock()
		a.check = &c
		a.mu.Unlock()
		a.logCheck(c)
		if c.Outcome == OutcomeLockHeld {
			go func() {
				select {
				case <-ctx.Done():
				case <-a.opts.Clock.After(a.opts.LockRetry):
					a.opts.Queue.Push(trigger.Request{Trigger: r.Trigger, Reason: "retry after the lock was held"})
				}
			}()
		}
		if a.AfterCheck != nil {
			a.AfterCheck(c)
		}
	}
}

// logCheck logs a check's outcome at the level it calls for.
func (a *Applier) logCheck(c Check) {
	attrs := []any{"trigger", c.Trigger, "reason", c.Reason, "outcome", c.Outcome,
		"to_run", c.ToRun, "cached", c.Cached, "duration_seconds", c.Duration}
	if c.RunID != 0 {
		attrs = append(attrs, "run_id", c.RunID, "status", c.Status)
	}
	if c.Message != "" {
		attrs = append(attrs, "message", c.Message)
	}
	switch c.Outcome {
	case OutcomeError:
		a.opts.Log.Error("check", attrs...)
	case OutcomeInvalid, OutcomeLockHeld:
		a.opts.Log.Warn("check", attrs...)
	default:
		a.opts.Log.Info("check", attrs...)
	}
}

// handle loads the pipeline, plans it and applies it when the request
// calls for it.
func (a *Applier) handle(ctx, applyCtx context.Context, r trigger.Request) (c Check) {
	start := a.opts.Clock.Now()
	c = Check{Trigger: r.Trigger, Reason: r.Reason, At: start}
	defer func() { c.Duration = a.opts.Clock.Now().Sub(start).Seconds() }()

	l := a.opts.Load(ctx)
	if !l.Valid {
		c.Outcome, c.Message = OutcomeInvalid, l.NotLoading()
		return c
	}
	ws := l.Workspace
	if err := ws.OpenStore(applyCtx); err != nil {
		c.Outcome, c.Message = OutcomeError, l.Redactor.Error(err).Error()
		return c
	}
	defer func() {
		if err := ws.Close(); err != nil {
			a.opts.Log.Warn("closing the workspace", "error", err)
		}
	}()
	pl, diags := plan.Make(applyCtx, plan.Options{Pipeline: ws.Pipeline, Store: ws.Store, Files: ws.Files, Executor: ws.Executor, Keys: ws.HashKey})
	if diags.HasErrors() {
		c.Outcome, c.Message = OutcomeError, snapshot.FirstError(l.Redact(diags))
		return c
	}
	c.ToRun, c.Cached = pl.Counts()
	fp := fingerprint(l.Digest, pl)
	a.mu.Lock()
	prev := a.applied
	a.mu.Unlock()
	if r.Trigger == registry.TriggerWatch {
		if c.ToRun == 0 {
			c.Outcome, c.Message = OutcomeUpToDate, "nothing to run: every step is cached"
			return c
		}
		if fp == prev {
			c.Outcome, c.Message = OutcomeUnchanged, "the pipeline and its input files are those last applied; change one, wait for the schedule or apply by hand to run it again"
			return c
		}
	}
	return a.apply(ctx, applyCtx, r, l, pl, fp, prev, c)
}

// apply runs the plan's pipeline with the runner, showing its progress,
// and says how it went. fp is the plan's fingerprint, prev the one
// applied before (restored when the lock was held, so that the inputs
// are applied once it is free).
func (a *Applier) apply(ctx, applyCtx context.Context, r trigger.Request, l *snapshot.Snapshot, pl *plan.Plan, fp, prev string, c Check) Check {
	cur := &Progress{Trigger: r.Trigger, Started: a.opts.Clock.Now()}
	for _, st := range pl.Steps {
		status := "planned"
		if st.Action == plan.Cached {
			status = "cached"
		}
		cur.Steps = append(cur.Steps, &StepProgress{Step: st.Addr.String(), Kind: st.Kind.Name(), Status: status})
	}
	a.mu.Lock()
	a.applied, a.current = fp, cur
	a.tell()
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.current = nil
		a.tell()
		a.mu.Unlock()
		if a.opts.Applied != nil {
			a.opts.Applied(context.WithoutCancel(ctx))
		}
	}()
	out, err := runner.Run(applyCtx, runner.Options{
		Workspace:   l.Workspace,
		Trigger:     r.Trigger,
		PipeVersion: a.opts.PipeVersion,
		Env:         a.opts.Env,
		Parallelism: a.opts.Parallelism,
		Executors:   a.executors(l.Workspace),
		Logger:      a.opts.Log,
		OnRun: func(id int64, _ registry.Run) {
			a.mu.Lock()
			cur.RunID = id
			a.tell()
			a.mu.Unlock()
			a.opts.Log.Info("run started", "run_id", id, "trigger", r.Trigger, "to_run", c.ToRun, "cached", c.Cached)
		},
		Events: func(e apply.Event) { a.event(cur, e) },
	})
	var held *lock.HeldError
	switch {
	case errors.As(err, &held):
		a.mu.Lock()
		a.applied = prev
		a.mu.Unlock()
		c.Outcome = OutcomeLockHeld
		c.Message = fmt.Sprintf("another apply holds the state lock (%s on %s, pid %d, since %s); checking again in %s",
			held.Holder.Operation, held.Holder.Host, held.Holder.PID, held.Holder.Since.UTC().Format(time.RFC3339), a.opts.LockRetry)
	case errors.Is(err, runner.ErrInvalid):
		c.Outcome, c.Message = OutcomeError, snapshot.FirstError(l.Redact(out.Diagnostics))
	case err != nil:
		c.Outcome, c.Message = OutcomeError, l.Redactor.Error(err).Error()
		if out != nil {
			c.RunID = out.RunID
		}
	default:
		c.Outcome, c.RunID, c.Status = OutcomeApplied, out.RunID, out.Status
		if out.Status != registry.RunSucceeded {
			c.Message = snapshot.FirstError(l.Redact(out.Diagnostics))
		}
	}
	return c
}

// event records an apply's progress for the status and logs finished
// steps.
func (a *Applier) event(cur *Progress, e apply.Event) {
	a.mu.Lock()
	i := slices.IndexFunc(cur.Steps, func(p *StepProgress) bool { return p.Step == e.Step })
	if i < 0 {
		cur.Steps = append(cur.Steps, &StepProgress{Step: e.Step, Kind: e.Kind})
		i = len(cur.Steps) - 1
	}
	p := cur.Steps[i]
	switch e.Type {
	case apply.StepStarted:
		p.Status = "running"
	case apply.StepProgress:
		p.Done, p.Total, p.Note = e.Done, e.Total, e.Note
	case apply.StepFinished:
		p.Status, p.Duration = e.Status, e.Duration
	}
	runID := cur.RunID
	a.tell()
	a.mu.Unlock()
	switch e.Type {
	case apply.StepFinished:
		attrs := []any{"run_id", runID, "step", e.Step, "kind", e.Kind, "status", e.Status, "duration_seconds", e.Duration}
		if e.Error != "" {
			attrs = append(attrs, "error", e.Error)
			a.opts.Log.Warn("step finished", attrs...)
		} else {
			a.opts.Log.Info("step finished", attrs...)
		}
	case apply.StepWarning:
		a.opts.Log.Warn("step warning", "run_id", runID, "step", e.Step, "kind", e.Kind, "warning", e.Warning)
	}
}

// fingerprint identifies the inputs of an apply of pl: the pipeline's
// files and variables (its config digest) and the digests of the input
// files its steps read. A run that failed has the fingerprint of its
// inputs; touching them does not change it, changing them does.
func fingerprint(configDigest string, pl *plan.Plan) string {
	h := sha256.New()
	fmt.Fprintf(h, "config %s\n", configDigest)
	for _, st := range pl.Steps {
		for _, f := range st.Files {
			fmt.Fprintf(h, "file %s %s %s\n", st.Addr, f.Path, f.Digest)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// executors are the executors an apply of w may use.
func (a *Applier) executors(w *workspace.Workspace) map[string]executor.Executor {
	if a.opts.Executors == nil {
		return nil
	}
	return a.opts.Executors(w)
}
