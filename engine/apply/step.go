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
	"github.com/pipe-ml/pipe/engine/internal/failpoint"
	"github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/steps"
)

// step executes one planned step. Its error only tells the walk to skip
// what depends on it; the details are in a.results and a.diags.
func (a *applier) step(ctx context.Context, ps *plan.Step) error {
	started := a.now()
	p := a.opts.Plan
	cfgStep := p.Pipeline.Config.Steps[ps.Addr]
	r := &StepResult{Addr: ps.Addr}
	a.opts.Events(Event{Type: StepStarted, Time: started, Step: ps.Addr.String(), Kind: ps.Kind.Name()})

	// A step's error may quote an attribute's value, and so a sensitive
	// variable's: it is redacted before it is recorded or reported.
	fail := func(status string, err error, diag *hcl.Diagnostic) error {
		err, diag = a.secrets.Error(err), a.secrets.Diagnostic(diag)
		r.Status, r.Err, r.Duration = status, err, a.now().Sub(started)
		a.finish(ctx, ps, r, diag)
		return err
	}

	// Evaluate with the real outputs of everything upstream.
	a.mu.Lock()
	known := make(map[config.StepAddr]cty.Value, len(a.outputs))
	for k, v := range a.outputs {
		known[k] = v
	}
	a.mu.Unlock()
	cfg, diags := eval.Step(cfgStep, p.Pipeline.Scope(known))
	if diags.HasErrors() {
		err := errors.New(diags.Error())
		return fail(Failed, err, diags[0])
	}
	if !cfg.IsWhollyKnown() {
		err := fmt.Errorf("apply: %s still has unknown inputs after its dependencies ran", ps.Addr)
		return fail(Failed, err, plan.StepDiagnostic(cfgStep, "Step inputs unknown", err))
	}
	files, fd := plan.InputFiles(cfgStep, cfg, p.Pipeline.Config.Dir, a.opts.Files)
	if fd.HasErrors() {
		return fail(Failed, errors.New(fd.Error()), fd[0])
	}
	pre, err := cachekey.New(ps.Kind, cfg, files)
	if err != nil {
		return fail(Failed, err, plan.StepDiagnostic(cfgStep, "Cannot compute the cache key", err))
	}
	r.Key = pre.Key()
	replace := slices.Contains(p.Replace, ps.Addr)

	used := labelled(p.Pipeline.Kinds, usedArtifacts(cfg, files))
	r.used, r.config = used, configJSON(cfg)
	execID := a.startExecution(ctx, ps, cfgStep, cfg, pre, used, started)

	if !replace {
		entry, miss, err := cache.Lookup(ctx, a.opts.Store, r.Key)
		if err != nil {
			return fail(Failed, err, plan.StoreDiagnostic(cfgStep, err))
		}
		if miss != nil {
			a.warnDiag(cfgStep, "Unusable cache entry", miss.Error()+". The step runs again and rewrites it.")
		}
		if entry != nil {
			out, err := entry.OutputValues()
			if err == nil {
				r.Status, r.Outputs, r.Warnings = Cached, out, a.redactAll(entry.Warnings)
				return a.succeed(ctx, ps, cfgStep, r, execID, started)
			}
		}
	}

	// Run it.
	var warnMu sync.Mutex
	var warnings []string
	env := a.env.ForStep(
		a.opts.Logger.With("step", ps.Addr.String()),
		func(summary, detail string) {
			w := summary
			if detail != "" {
				w += ": " + detail
			}
			w = a.secrets.String(w)
			warnMu.Lock()
			warnings = append(warnings, w)
			warnMu.Unlock()
			a.opts.Events(Event{Type: StepWarning, Time: a.now(), Step: ps.Addr.String(), Kind: ps.Kind.Name(), Warning: w})
		},
		func(done, total int64, note string) {
			a.opts.Events(Event{Type: StepProgress, Time: a.now(), Step: ps.Addr.String(), Kind: ps.Kind.Name(), Done: done, Total: total, Note: note})
		},
	)
	if m := a.stepModels(ps.Addr.String(), execID); m != nil {
		env = env.WithModels(m)
	}
	unmarked, _ := cfg.UnmarkDeep()
	outputs, runErr := runKind(ctx, ps.Kind, env, &steps.Inputs{
		Config:       unmarked,
		Files:        files,
		Dir:          p.Pipeline.Config.Dir,
		Explanations: eval.Explain(cfgStep, p.Pipeline.Scope(known), p.Pipeline.Sources),
	})
	warnMu.Lock()
	r.Warnings = warnings
	warnMu.Unlock()
	if runErr != nil {
		status := Failed
		if ctx.Err() != nil {
			status = Cancelled
		}
		diag := plan.StepDiagnostic(cfgStep, fmt.Sprintf("Step %s failed", ps.Addr), runErr)
		var storeErr *store.OpError
		switch {
		case errors.Is(runErr, store.ErrNotFound) && ctx.Err() == nil:
			diag = missingArtifact(cfgStep, runErr)
		case errors.As(runErr, &storeErr):
			diag = plan.StoreDiagnostic(cfgStep, runErr)
		}
		return fail(status, runErr, diag)
	}
	failpoint.Hit("apply.step.ran") // test hook: the outputs are stored, the cache entry is not
	entry, err := cache.NewEntry(ps.Kind, pre, outputs)
	if err != nil {
		return fail(Failed, err, plan.StepDiagnostic(cfgStep, fmt.Sprintf("Step %s returned bad outputs", ps.Addr), err))
	}
	entry.Step, entry.Pipeline = ps.Addr.String(), p.Pipeline.Config.Name()
	entry.Warnings = r.Warnings
	entry.Started, entry.Duration, entry.PipeVersion = started.UTC(), a.now().Sub(started).Seconds(), a.opts.PipeVersion
	if err := cache.Save(ctx, a.opts.Store, entry); err != nil {
		return fail(Failed, err, plan.StoreDiagnostic(cfgStep, err))
	}
	failpoint.Hit("apply.entry.saved") // test hook: the cache entry is saved, the step's ref and execution record are not
	out, err := entry.OutputValues()
	if err != nil {
		return fail(Failed, err, plan.StepDiagnostic(cfgStep, "Cannot read back outputs", err))
	}
	r.Status, r.Outputs = Ran, out
	return a.succeed(ctx, ps, cfgStep, r, execID, started)
}

// runKind runs a kind, turning a panic into an error: a bug in one step
// kind must not take down the whole apply, nor leave the registry with a
// running execution.
func runKind(ctx context.Context, k steps.Kind, env steps.Env, in *steps.Inputs) (out steps.Outputs, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the %s step crashed (a bug in pipe; please report it): %v", k.Name(), p)
		}
	}()
	return k.Run(ctx, env, in)
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
		Status: r.Status, Duration: r.Duration.Seconds(), Error: errString(r.Err), Key: r.Key,
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
