package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/cache"
	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/stepinput"
	"github.com/pipe-ml/pipe/engine/steprun"
	"github.com/pipe-ml/pipe/engine/store"
)

// A step runs where engine/executor places it. In this process (the
// local executor) it runs through steprun, as it always did. Elsewhere,
// its step-input document goes into the store, the executor makes the
// step's cache entry exist (or, for a sharded step, every shard's partial
// result, which the coordinator then assembles here), and apply reads the
// entry back: a remote step's outputs, warnings and record are exactly a
// local one's, with where it ran.

// executor returns the executor named name.
func (a *applier) executor(name string) (executor.Executor, error) {
	if e, ok := a.opts.Executors[name]; ok {
		return e, nil
	}
	if name == executor.LocalName {
		return executor.Local{}, nil
	}
	return nil, fmt.Errorf("apply: the %s executor is not available in this pipe: run the step with executor = %q in its resources block, or -executor=%s", name, executor.LocalName, executor.LocalName)
}

// putInput writes the step-input document a worker runs the step from,
// and returns its digest.
func (s *stepRun) putInput(ctx context.Context, step *steprun.Step) (string, error) {
	d, err := stepinput.Build(&stepinput.Step{
		Kind: step.Kind, Config: step.Config, Files: step.Files, Explanations: step.Explanations,
		Key: s.r.Key, Pipeline: step.Pipeline, Addr: step.Addr, Shards: step.Shards,
	}, s.a.opts.PipeVersion)
	if err != nil {
		return "", err
	}
	return stepinput.Put(ctx, s.a.opts.Store, d)
}

// remoteEntry is the entry of a step an executor ran elsewhere: for a
// sharded step, assembled here from the shards' partial results; else
// read from the store, with the warnings the step raised there sent as
// events.
func (s *stepRun) remoteEntry(ctx context.Context, step *steprun.Step) (*cache.Entry, error) {
	if step.Shards > 1 {
		return steprun.Assemble(ctx, step, s.runOptions())
	}
	entry, miss, err := cache.Lookup(ctx, s.a.opts.Store, s.r.Key)
	if err != nil {
		return nil, err
	}
	if entry == nil {
		why := "there is none"
		if miss != nil {
			why = miss.Error()
		}
		if miss != nil && miss.Signature != nil {
			return nil, fmt.Errorf("apply: the %s executor reported %s done, but its cache entry %s, so it is not trusted: the worker does not sign with this pipe's team key (%s). Give the workers the same key: the Secret pipe-key for the kubernetes executor, PIPE_KEY_FILE or PIPE_KEY for the process executor (docs/security.md, \"The team key\")", s.r.Executor, step.Addr, miss.Signature.Cause(), miss.Signature.KeySource)
		}
		return nil, fmt.Errorf("apply: the %s executor reported %s done, but its cache entry cannot be used (%s): apply again", s.r.Executor, step.Addr, why)
	}
	for _, w := range entry.Warnings {
		w = s.a.secrets.String(w)
		s.r.Warnings = append(s.r.Warnings, w)
		s.a.opts.Events(Event{Type: StepWarning, Time: s.a.now(), Step: step.Addr, Kind: s.ps.Kind.Name(), Warning: w})
	}
	return entry, nil
}

// runFailed ends a step that did not run to its entry, with the
// diagnostic that says the most. The step's own error reads as it always
// did, wherever it ran.
func (s *stepRun) runFailed(ctx context.Context, err error) error {
	var (
		stepErr *executor.StepError
		badOut  *steprun.OutputsError
		opErr   *store.OpError
	)
	switch {
	case errors.As(err, &stepErr):
		return s.failed(ctx, stepErr.Err)
	case errors.As(err, &badOut):
		return s.fail(ctx, Failed, err, plan.StepDiagnostic(s.cfgStep, fmt.Sprintf("Step %s returned bad outputs", s.ps.Addr), err))
	case errors.As(err, &opErr):
		return s.fail(ctx, Failed, err, plan.StoreDiagnostic(s.cfgStep, err))
	}
	status := Failed
	if ctx.Err() != nil {
		status = Cancelled
	}
	return s.fail(ctx, status, err, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Step %s could not run on the %s executor", s.ps.Addr, s.r.Executor),
		Detail:   fmt.Sprintf("%s: %s", s.ps.Addr, strings.TrimSpace(err.Error())),
		Subject:  s.cfgStep.DeclRange.Ptr(),
	})
}

// taskEvent turns what an executor reports into apply's events.
func (s *stepRun) taskEvent(e executor.Event) {
	ev := Event{Time: e.Time, Step: s.ps.Addr.String(), Kind: s.ps.Kind.Name(), Executor: s.r.Executor,
		Where: e.Where, Note: e.Reason, Line: e.Line}
	if e.Time.IsZero() {
		ev.Time = s.a.now()
	}
	if e.Shard >= 0 && s.r.Executor != executor.LocalName {
		shard := e.Shard
		ev.Shard = &shard
	}
	switch e.Type {
	case executor.Waiting:
		ev.Type = StepWaiting
	case executor.Started:
		ev.Type = StepRunning
	case executor.Log:
		ev.Type = StepLog
	case executor.Retrying:
		ev.Type = StepRetrying
	default:
		return
	}
	s.a.opts.Events(ev)
}
