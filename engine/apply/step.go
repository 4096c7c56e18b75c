package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/cache"
	"github.com/pipe-ml/pipe/engine/cachekey"
	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/stepenv"
	"github.com/pipe-ml/pipe/engine/steprun"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/steps"
)

// stepRun is one step's execution in progress.
type stepRun struct {
	a       *applier
	ps      *plan.Step
	cfgStep *config.Step
	r       *StepResult
	started time.Time
	// known holds the outputs of the steps before it; cfg is its
	// configuration evaluated with them, files its input files, pre the
	// preimage of its cache key.
	known  map[config.StepAddr]cty.Value
	cfg    cty.Value
	files  []steps.File
	pre    *cachekey.Preimage
	execID int64
}

// step executes one planned step. Its error only tells the walk to skip
// what depends on it; the details are in a.results and a.diags.
func (a *applier) step(ctx context.Context, ps *plan.Step) error {
	s := &stepRun{a: a, ps: ps, cfgStep: a.opts.Plan.Pipeline.Config.Steps[ps.Addr], r: &StepResult{Addr: ps.Addr}, started: a.now()}
	a.opts.Events(Event{Type: StepStarted, Time: s.started, Step: ps.Addr.String(), Kind: ps.Kind.Name()})
	if err := s.prepare(ctx); err != nil {
		return err
	}
	if !slices.Contains(a.opts.Plan.Replace, ps.Addr) {
		if hit, err := s.fromCache(ctx); hit || err != nil {
			return err
		}
	}
	s.start(ctx)
	return s.run(ctx)
}

// start records the start of a step that runs, or that failed before it
// could (a cached step is recorded once, whole: fromCache).
func (s *stepRun) start(ctx context.Context) {
	s.execID = s.a.startExecution(ctx, s.ps, s.cfgStep, s.cfg, s.pre, s.r.used, s.started)
}

// fail ends the step as failed (or cancelled). A step's error may quote
// an attribute's value, and so a sensitive variable's: it is redacted
// before it is recorded or reported.
func (s *stepRun) fail(ctx context.Context, status string, err error, diag *hcl.Diagnostic) error {
	a := s.a
	err, diag = a.secrets.Error(err), a.secrets.Diagnostic(diag)
	s.r.Status, s.r.Err, s.r.Duration = status, err, a.now().Sub(s.started)
	a.finish(ctx, s.ps, s.r, diag)
	return err
}

// prepare evaluates the step with the real outputs of everything
// upstream, computes its key again, and records its start.
func (s *stepRun) prepare(ctx context.Context) error {
	a, p := s.a, s.a.opts.Plan
	a.mu.Lock()
	s.known = make(map[config.StepAddr]cty.Value, len(a.outputs))
	for k, v := range a.outputs {
		s.known[k] = v
	}
	a.mu.Unlock()
	cfg, diags := eval.Step(s.cfgStep, p.Pipeline.Scope(s.known))
	if diags.HasErrors() {
		return s.fail(ctx, Failed, errors.New(diags.Error()), diags[0])
	}
	if !cfg.IsWhollyKnown() {
		err := fmt.Errorf("apply: %s still has unknown inputs after its dependencies ran", s.ps.Addr)
		return s.fail(ctx, Failed, err, plan.StepDiagnostic(s.cfgStep, "Step inputs unknown", err))
	}
	files, fd := plan.InputFiles(s.cfgStep, cfg, p.Pipeline.Confinement(), a.opts.Files)
	if fd.HasErrors() {
		return s.fail(ctx, Failed, errors.New(fd.Error()), fd[0])
	}
	pre, err := cachekey.New(s.ps.Kind, cfg, files, p.Keys)
	if err != nil {
		return s.fail(ctx, Failed, err, plan.StepDiagnostic(s.cfgStep, "Cannot compute the cache key", err))
	}
	s.cfg, s.files, s.pre, s.r.Key = cfg, files, pre, pre.Key()
	used := labelled(p.Pipeline.Kinds, usedArtifacts(cfg, files))
	s.r.used, s.r.config = used, configJSON(cfg)
	return nil
}

// fromCache takes the step's outputs from the cache when its entry is
// there and whole, after restoring the files it wrote outside the store
// that are missing or different. It reports whether it did. A step served
// from the cache is recorded in the registry in one entry, started and
// ended; one that fails here is recorded started first, as one that runs.
func (s *stepRun) fromCache(ctx context.Context) (bool, error) {
	a := s.a
	entry, miss, err := cache.Lookup(ctx, a.opts.Store, s.r.Key)
	if err != nil {
		s.start(ctx)
		return true, s.fail(ctx, Failed, err, plan.StoreDiagnostic(s.cfgStep, err))
	}
	if miss != nil && !plannedMiss(s.ps) {
		d := plan.MissDiagnostic(s.cfgStep, miss, "The step runs again and rewrites it.")
		a.warnDiag(s.cfgStep, d.Summary, strings.TrimPrefix(d.Detail, s.cfgStep.Addr.String()+": "))
	}
	if entry == nil {
		return false, nil
	}
	if err := entry.Unseal(a.opts.Plan.Keys); err != nil {
		a.warnDiag(s.cfgStep, "Unusable cache entry", fmt.Sprintf("cache: entry cache/%s.json: %v. The step runs again and rewrites it.", s.r.Key, err))
		return false, nil
	}
	out, err := entry.OutputValues()
	if err != nil {
		return false, nil
	}
	if err := a.restoreExternal(ctx, s.ps, entry.External); err != nil {
		s.start(ctx)
		return true, s.fail(ctx, Failed, err, plan.StepDiagnostic(s.cfgStep, "Cannot restore a file the step wrote", err))
	}
	s.r.Status, s.r.Outputs, s.r.Warnings = Cached, out, a.redactAll(entry.Warnings)
	s.execID = a.recordCached(ctx, s.ps, s.cfgStep, s.cfg, s.pre, s.r, s.started)
	return true, a.succeed(ctx, s.ps, s.cfgStep, s.r, s.execID, s.started)
}

// plannedMiss reports whether the plan found the step's cache entry
// unusable, and so warned about it already.
func plannedMiss(ps *plan.Step) bool {
	for _, r := range ps.Reasons {
		if r.Code == plan.ReasonMiss {
			return true
		}
	}
	return false
}

// run runs the step where it is placed, and takes its outputs from the
// cache entry that made.
func (s *stepRun) run(ctx context.Context) error {
	a, p := s.a, s.a.opts.Plan
	res, pl, diags := plan.Place(p.Pipeline, s.cfgStep, s.cfg, p.Executor)
	if diags.HasErrors() {
		return s.fail(ctx, Failed, errors.New(diags.Error()), diags[0])
	}
	s.r.Executor = pl.Executor
	exec, err := a.executor(pl.Executor)
	if err != nil {
		return s.fail(ctx, Failed, err, plan.StepDiagnostic(s.cfgStep, "Executor not available", err))
	}
	shards, err := steprun.Count(s.ps.Kind, s.cfg, res.Shards)
	if err != nil {
		return s.fail(ctx, Failed, err, plan.StepDiagnostic(s.cfgStep, "Cannot split the step into shards", err))
	}
	step := &steprun.Step{
		Kind: s.ps.Kind, Config: s.cfg, Files: s.files, Dir: p.Pipeline.Config.Dir,
		Explanations: eval.Explain(s.cfgStep, p.Pipeline.Scope(s.known), p.Pipeline.Sources),
		Preimage:     s.pre, Pipeline: p.Pipeline.Config.Name(), Addr: s.ps.Addr.String(),
		PipeVersion: a.opts.PipeVersion, Shards: shards,
	}
	var entry *cache.Entry
	task := &executor.Task{
		Pipeline: step.Pipeline, RunID: a.opts.RunID, Step: step.Addr, Kind: s.ps.Kind.Name(), Key: s.r.Key,
		Resources: res, Shards: shards, Events: s.taskEvent,
		InProcess: func(ctx context.Context) (err error) {
			entry, err = steprun.Run(ctx, step, s.runOptions())
			return err
		},
	}
	if pl.Remote() {
		if task.Input, err = s.putInput(ctx, step); err != nil {
			return s.fail(ctx, Failed, err, plan.StoreDiagnostic(s.cfgStep, err))
		}
	}
	if err := exec.Run(ctx, task); err != nil {
		return s.runFailed(ctx, err)
	}
	if entry == nil {
		if entry, err = s.remoteEntry(ctx, step); err != nil {
			return s.runFailed(ctx, err)
		}
	}
	out, err := entry.OutputValues()
	if err != nil {
		return s.fail(ctx, Failed, err, plan.StepDiagnostic(s.cfgStep, "Cannot read back outputs", err))
	}
	s.r.Status, s.r.Outputs = Ran, out
	return a.succeed(ctx, s.ps, s.cfgStep, s.r, s.execID, s.started)
}

// runOptions are how the step runs in this process: its Env, its
// warnings kept in the result and sent as events, redacted.
func (s *stepRun) runOptions() steprun.Options {
	a, ps := s.a, s.ps
	var mu sync.Mutex
	return steprun.Options{
		Env:    s.env(),
		Redact: a.secrets.String,
		Now:    a.now,
		Keys:   a.opts.Plan.Keys,
		Warn: func(w string) {
			mu.Lock()
			s.r.Warnings = append(s.r.Warnings, w)
			mu.Unlock()
			a.opts.Events(Event{Type: StepWarning, Time: a.now(), Step: ps.Addr.String(), Kind: ps.Kind.Name(), Warning: w})
		},
	}
}

// env is the step's Env: its progress becomes events, and it reaches the
// model registry. steprun routes its warnings (runOptions).
func (s *stepRun) env() *stepenv.Env {
	a, ps := s.a, s.ps
	env := a.env.ForStep(
		a.opts.Logger.With("step", ps.Addr.String()),
		nil,
		func(done, total int64, note string) {
			a.opts.Events(Event{Type: StepProgress, Time: a.now(), Step: ps.Addr.String(), Kind: ps.Kind.Name(), Done: done, Total: total, Note: note})
		},
	)
	if m := a.stepModels(ps.Addr.String(), s.execID, s.cfg); m != nil {
		env = env.WithModels(m)
	}
	return env
}

// failed ends a step whose kind returned an error, with the diagnostic
// that says the most: a missing or corrupt artifact, the store, or the
// step's own error.
func (s *stepRun) failed(ctx context.Context, runErr error) error {
	status := Failed
	if ctx.Err() != nil {
		status = Cancelled
	}
	diag := plan.StepDiagnostic(s.cfgStep, fmt.Sprintf("Step %s failed", s.ps.Addr), runErr)
	var storeErr *store.OpError
	switch {
	case errors.Is(runErr, store.ErrNotFound) && ctx.Err() == nil:
		diag = missingArtifact(s.cfgStep, runErr)
	case errors.As(runErr, &storeErr):
		diag = plan.StoreDiagnostic(s.cfgStep, runErr)
	}
	return s.fail(ctx, status, runErr, diag)
}

// succeed publishes a step's outputs to the steps after it, remembers the
// step's key as its last execution, and records it.
func (a *applier) succeed(ctx context.Context, ps *plan.Step, cfgStep *config.Step, r *StepResult, execID int64, started time.Time) error {
	p := a.opts.Plan
	if err := cache.SetLastKey(ctx, a.opts.Store, p.Pipeline.Config.Name(), ps.Addr.String(), r.Key, a.now()); err != nil {
		a.warnDiag(cfgStep, "Cannot record the step's last execution", err.Error())
	}
	r.Duration = a.now().Sub(started)
	r.ExecutionID = execID
	a.mu.Lock()
	a.outputs[ps.Addr] = r.Outputs
	a.mu.Unlock()
	a.finish(ctx, ps, r, nil)
	return nil
}

// finish records a visited step's end.
func (a *applier) finish(ctx context.Context, ps *plan.Step, r *StepResult, diag *hcl.Diagnostic) {
	a.finishExecution(ctx, ps, r)
	a.mu.Lock()
	a.results[ps.Addr] = r
	if diag != nil {
		a.diags = append(a.diags, diag)
	}
	a.mu.Unlock()
	a.opts.Events(a.describe(Event{
		Type: StepFinished, Time: a.now(), Step: ps.Addr.String(), Kind: ps.Kind.Name(),
		Status: r.Status, Duration: r.Duration.Seconds(), Error: errString(r.Err), Key: r.Key, Executor: r.Executor,
	}, r))
	// A step that ran sent its warnings as they happened; a cached one
	// repeats those its entry recorded, so they are not forgotten.
	if r.Status == Cached {
		for _, w := range r.Warnings {
			a.opts.Events(Event{Type: StepWarning, Time: a.now(), Step: ps.Addr.String(), Kind: ps.Kind.Name(), Warning: "(cached) " + w})
		}
	}
}

// redactAll returns texts with the values of sensitive variables
// redacted (warnings a cache entry recorded before pipe redacted them).
func (a *applier) redactAll(texts []string) []string {
	if a.secrets == nil || len(texts) == 0 {
		return texts
	}
	out := make([]string, len(texts))
	for i, s := range texts {
		out[i] = a.secrets.String(s)
	}
	return out
}

func (a *applier) warnDiag(step *config.Step, summary, detail string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.diags = append(a.diags, &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  summary,
		Detail:   a.secrets.String(strings.TrimSpace(step.Addr.String() + ": " + detail)),
		Subject:  step.DeclRange.Ptr(),
	})
}

// missingArtifact reports a step that read an artifact the store does not
// hold (deleted, or written by hand) or holds corrupt (moved to
// quarantine by the read). Either way the data was not used.
func missingArtifact(step *config.Step, err error) *hcl.Diagnostic {
	summary := "Artifact missing from the store"
	if errors.Is(err, store.ErrCorrupt) {
		summary = "Corrupt artifact in the store"
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail: fmt.Sprintf("%s: %s. Apply again: the step that made the artifact finds its cache entry unusable and runs again. An artifact written by hand must be the output of a step instead.",
			step.Addr, strings.TrimSpace(err.Error())),
		Subject: step.DeclRange.Ptr(),
	}
}
