package serve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/apply"
	"github.com/pipe-ml/pipe/engine/lock"
	"github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/runner"
)

const (
	triggerWatch    = registry.TriggerWatch
	triggerSchedule = registry.TriggerSchedule
)

// request is a trigger waiting to be handled.
type request struct {
	trigger string
	// reason says what caused it, for logs: "start", "change in /data",
	// "schedule 0 2 * * *".
	reason string
}

// queue holds at most one request: pushes coalesce, and a schedule
// trigger replaces a watch trigger (it applies unconditionally, which
// covers what the watch trigger would have done).
type queue struct {
	mu      sync.Mutex
	pending *request
	wake    chan struct{}
}

func newQueue() queue { return queue{wake: make(chan struct{}, 1)} }

func (q *queue) push(r request) {
	q.mu.Lock()
	if q.pending == nil || r.trigger == triggerSchedule {
		q.pending = &r
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *queue) take() *request {
	q.mu.Lock()
	defer q.mu.Unlock()
	r := q.pending
	q.pending = nil
	return r
}

// Outcomes of a check.
const (
	// OutcomeInvalid: the pipeline did not load; nothing ran.
	OutcomeInvalid = "invalid"
	// OutcomeError: the pipeline loaded but could not be planned or
	// applied (an input file missing, the store unreachable).
	OutcomeError = "error"
	// OutcomeUpToDate: a watch check whose plan had nothing to run.
	OutcomeUpToDate = "up_to_date"
	// OutcomeUnchanged: a watch check whose pipeline and input files are
	// those last applied (a run that failed is not retried for a touched
	// file).
	OutcomeUnchanged = "unchanged"
	// OutcomeLockHeld: another apply held the state lock; serve checks
	// again after LockRetry.
	OutcomeLockHeld = "lock_held"
	// OutcomeApplied: an apply ran and was recorded as RunID.
	OutcomeApplied = "applied"
)

// Check is how serve handled one trigger.
type Check struct {
	// Trigger is watch or schedule; Reason what caused it ("start", "poll",
	// "change in /data", "schedule 0 2 * * *").
	Trigger string    `json:"trigger"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
	// Outcome is one of the Outcome constants; Message says more (the
	// first error, why nothing ran).
	Outcome string `json:"outcome"`
	Message string `json:"message,omitempty"`
	// ToRun and Cached count the steps of the plan, when one was made.
	ToRun  int `json:"to_run"`
	Cached int `json:"cached"`
	// RunID and Status are the run's, when one was recorded.
	RunID    int64   `json:"run_id,omitempty"`
	Status   string  `json:"status,omitempty"`
	Duration float64 `json:"duration_seconds"`
}

// Progress is the apply in progress, as /api/status shows it.
type Progress struct {
	RunID   int64           `json:"run_id,omitempty"`
	Trigger string          `json:"trigger"`
	Started time.Time       `json:"started"`
	Steps   []*StepProgress `json:"steps"`
}

// StepProgress is one step of the apply in progress.
type StepProgress struct {
	Step string `json:"step"`
	Kind string `json:"kind"`
	// Status is planned, cached (by the plan), running, or how it
	// finished: ran, cached, failed, skipped or cancelled.
	Status   string  `json:"status"`
	Done     int64   `json:"done,omitempty"`
	Total    int64   `json:"total,omitempty"`
	Note     string  `json:"note,omitempty"`
	Duration float64 `json:"duration_seconds,omitempty"`
}

// loop handles triggers one at a time until ctx ends.
func (s *Server) loop(ctx, applyCtx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.queue.wake:
		}
		if ctx.Err() != nil {
			return
		}
		r := s.queue.take()
		if r == nil {
			continue
		}
		c := s.handle(ctx, applyCtx, *r)
		s.mu.Lock()
		s.check = &c
		s.mu.Unlock()
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
			s.log.Error("check", attrs...)
		case OutcomeInvalid, OutcomeLockHeld:
			s.log.Warn("check", attrs...)
		default:
			s.log.Info("check", attrs...)
		}
		if c.Outcome == OutcomeLockHeld {
			go func() {
				select {
				case <-ctx.Done():
				case <-s.clock.After(s.opts.LockRetry):
					s.queue.push(request{trigger: r.trigger, reason: "retry after the lock was held"})
				}
			}()
		}
		if s.afterCheck != nil {
			s.afterCheck(c)
		}
	}
}

// handle loads the pipeline, plans it and applies it when the trigger
// calls for it.
func (s *Server) handle(ctx, applyCtx context.Context, r request) (c Check) {
	start := s.clock.Now()
	c = Check{Trigger: r.trigger, Reason: r.reason, At: start}
	defer func() { c.Duration = s.clock.Now().Sub(start).Seconds() }()

	l := s.reload(ctx)
	if !l.valid {
		c.Outcome = OutcomeInvalid
		c.Message = fmt.Sprintf("the pipeline does not load (%s); nothing runs until it is fixed", countErrors(l.diags))
		return c
	}
	ws := l.ws
	if err := ws.OpenStore(applyCtx); err != nil {
		c.Outcome, c.Message = OutcomeError, err.Error()
		return c
	}
	defer func() {
		if err := ws.Close(); err != nil {
			s.log.Warn("closing the workspace", "error", err)
		}
	}()
	pl, diags := plan.Make(applyCtx, plan.Options{Pipeline: ws.Pipeline, Store: ws.Store, Files: ws.Files})
	if diags.HasErrors() {
		c.Outcome, c.Message = OutcomeError, firstError(s.redact(diags, l))
		return c
	}
	c.ToRun, c.Cached = pl.Counts()
	fp := fingerprint(l.digest, pl)
	s.mu.Lock()
	prev := s.applied
	s.mu.Unlock()
	if r.trigger == triggerWatch {
		if c.ToRun == 0 {
			c.Outcome, c.Message = OutcomeUpToDate, "nothing to run: every step is cached"
			return c
		}
		if fp == prev {
			c.Outcome, c.Message = OutcomeUnchanged, "the pipeline and its input files are those last applied; change one, wait for the schedule or apply by hand to run it again"
			return c
		}
	}

	cur := &Progress{Trigger: r.trigger, Started: s.clock.Now()}
	for _, st := range pl.Steps {
		status := "planned"
		if st.Action == plan.Cached {
			status = "cached"
		}
		cur.Steps = append(cur.Steps, &StepProgress{Step: st.Addr.String(), Kind: st.Kind.Name(), Status: status})
	}
	s.mu.Lock()
	s.applied, s.current = fp, cur
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.current = nil
		s.mu.Unlock()
		s.met.sync(context.WithoutCancel(ctx))
	}()
	out, err := runner.Run(applyCtx, runner.Options{
		Workspace:   ws,
		Trigger:     r.trigger,
		PipeVersion: s.opts.PipeVersion,
		Env:         s.opts.Workspace.Env,
		Parallelism: s.opts.Parallelism,
		Logger:      s.log,
		OnRun: func(id int64, _ registry.Run) {
			s.mu.Lock()
			cur.RunID = id
			s.mu.Unlock()
			s.log.Info("run started", "run_id", id, "trigger", r.trigger, "to_run", c.ToRun, "cached", c.Cached)
		},
		Events: func(e apply.Event) { s.event(cur, e) },
	})
	var held *lock.HeldError
	switch {
	case errors.As(err, &held):
		s.mu.Lock()
		s.applied = prev
		s.mu.Unlock()
		c.Outcome = OutcomeLockHeld
		c.Message = fmt.Sprintf("another apply holds the state lock (%s on %s, pid %d, since %s); checking again in %s",
			held.Holder.Operation, held.Holder.Host, held.Holder.PID, held.Holder.Since.UTC().Format(time.RFC3339), s.opts.LockRetry)
		return c
	case errors.Is(err, runner.ErrInvalid):
		c.Outcome, c.Message = OutcomeError, firstError(s.redact(out.Diagnostics, l))
		return c
	case err != nil:
		c.Outcome, c.Message = OutcomeError, err.Error()
		if out != nil {
			c.RunID = out.RunID
		}
		return c
	}
	c.Outcome, c.RunID, c.Status = OutcomeApplied, out.RunID, out.Status
	if out.Status != registry.RunSucceeded {
		c.Message = firstError(s.redact(out.Diagnostics, l))
	}
	return c
}

// event records an apply's progress for the page and logs finished steps.
func (s *Server) event(cur *Progress, e apply.Event) {
	s.mu.Lock()
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
	s.mu.Unlock()
	switch e.Type {
	case apply.StepFinished:
		attrs := []any{"run_id", runID, "step", e.Step, "kind", e.Kind, "status", e.Status, "duration_seconds", e.Duration}
		if e.Error != "" {
			attrs = append(attrs, "error", e.Error)
			s.log.Warn("step finished", attrs...)
		} else {
			s.log.Info("step finished", attrs...)
		}
	case apply.StepWarning:
		s.log.Warn("step warning", "run_id", runID, "step", e.Step, "kind", e.Kind, "warning", e.Warning)
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

// firstError is the first error of diags as one line.
func firstError(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		if d.Subject != nil {
			msg = fmt.Sprintf("%s:%d,%d: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, msg)
		}
		return msg
	}
	return ""
}

func countErrors(diags hcl.Diagnostics) string {
	n := 0
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			n++
		}
	}
	if n == 1 {
		return "1 error"
	}
	return fmt.Sprintf("%d errors", n)
}
