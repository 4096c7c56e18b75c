package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/dag"
	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/redact"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/stepenv"
	"github.com/pipe-ml/pipe/engine/store"
)

// Status of a step after an apply, as the registry records it.
const (
	Ran       = registry.ExecRan
	Cached    = registry.ExecCached
	Failed    = registry.ExecFailed
	Skipped   = registry.ExecSkipped
	Cancelled = registry.ExecCancelled
)

// Options say how to apply a plan.
type Options struct {
	Plan  *plan.Plan
	Store *store.Store
	Files plan.FileHasher
	// Registry records the executions under RunID, when not nil.
	Registry *registry.DB
	RunID    int64
	// Parallelism bounds how many steps run at once, and is what each
	// step may use. Zero means runtime.NumCPU().
	Parallelism int
	Logger      *slog.Logger
	// Events receives progress events; it must not block for long. Nil
	// drops them.
	Events func(Event)
	// PipeVersion is recorded in cache entries, and a remote worker must
	// be of the same version.
	PipeVersion string
	// Executors run the steps placed on them (engine/executor), by name;
	// the local executor needs no entry.
	Executors map[string]executor.Executor
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// StepResult is how one step ended.
type StepResult struct {
	Addr   config.StepAddr
	Status string
	// Outputs of a step that ran or was cached.
	Outputs cty.Value
	// Key is the step's cache key, when it got that far.
	Key string
	// Executor is where a step that ran (or failed running) ran.
	Executor string
	Duration time.Duration
	Warnings []string
	// Err is why a step failed, or what skipped it, with the values of
	// sensitive variables redacted (engine/redact); it unwraps to the
	// step's own error.
	Err error
	// ExecutionID in the registry, or 0.
	ExecutionID int64

	// used and config describe the execution in its step_finished event.
	used   []registry.ArtifactRef
	config json.RawMessage
	// recorded is set when the execution was recorded whole, ended.
	recorded bool
}

// Result is the outcome of an apply.
type Result struct {
	// Steps in plan order.
	Steps []*StepResult
	// Diagnostics explain failed steps, with their source locations, and
	// carry warnings about the cache.
	Diagnostics hcl.Diagnostics
}

// Status is the run's status: succeeded, failed or cancelled.
func (r *Result) Status() string {
	status := registry.RunSucceeded
	for _, s := range r.Steps {
		switch s.Status {
		case Cancelled:
			return registry.RunCancelled
		case Failed, Skipped:
			status = registry.RunFailed
		}
	}
	return status
}

// Counts returns how many steps ran, were cached, and failed or were
// skipped.
func (r *Result) Counts() (ran, cached, failed int) {
	for _, s := range r.Steps {
		switch s.Status {
		case Ran:
			ran++
		case Cached:
			cached++
		default:
			failed++
		}
	}
	return
}

// applier holds the state of one apply.
type applier struct {
	opts Options
	env  *stepenv.Env
	now  func() time.Time
	// secrets redacts the values of sensitive variables from the errors
	// and warnings the apply records and reports.
	secrets *redact.Redactor

	mu      sync.Mutex
	outputs map[config.StepAddr]cty.Value
	results map[config.StepAddr]*StepResult
	execIDs map[config.StepAddr]int64
	diags   hcl.Diagnostics
}

// Execute executes the plan. It returns an error only when it could not
// start; step failures are in the Result.
func Execute(ctx context.Context, opts Options) (*Result, error) {
	if opts.Plan == nil || opts.Store == nil || opts.Files == nil {
		return nil, errors.New("apply: Plan, Store and Files are required")
	}
	if opts.Parallelism <= 0 {
		opts.Parallelism = runtime.NumCPU()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Events == nil {
		opts.Events = func(Event) {}
	}
	a := &applier{
		opts:    opts,
		now:     opts.Now,
		outputs: map[config.StepAddr]cty.Value{},
		results: map[config.StepAddr]*StepResult{},
		execIDs: map[config.StepAddr]int64{},
		secrets: redact.ForVariables(opts.Plan.Pipeline.Config, opts.Plan.Pipeline.Vars),
	}
	if a.now == nil {
		a.now = time.Now
	}
	a.env = stepenv.New(stepenv.Config{
		Store:       opts.Store,
		Dir:         opts.Plan.Pipeline.Config.Dir,
		Roots:       opts.Plan.Pipeline.Confinement(),
		Logger:      opts.Logger,
		Parallelism: opts.Parallelism,
	})

	p := opts.Plan
	var addrs []string
	for _, s := range p.Steps {
		addrs = append(addrs, s.Addr.String())
	}
	g := p.Pipeline.Graph.Subgraph(addrs)
	walk := g.Walk(ctx, opts.Parallelism, func(ctx context.Context, v string) error {
		addr, _ := config.ParseStepAddr(v)
		return a.step(ctx, p.Step(addr))
	})

	res := &Result{}
	for _, s := range p.Steps {
		r := a.results[s.Addr]
		w := walk[s.Addr.String()]
		if r == nil {
			// Never visited: skipped after a failure, or cancelled.
			r = &StepResult{Addr: s.Addr, Status: Skipped, Err: w.Err}
			if w.Status == dag.Cancelled {
				r.Status = Cancelled
			}
			if w.Cause != "" {
				r.Err = fmt.Errorf("skipped because %s did not finish", w.Cause)
			}
			r.Err = a.secrets.Error(r.Err)
			a.recordUnvisited(ctx, s, r)
			opts.Events(Event{Type: StepFinished, Time: a.now(), Step: s.Addr.String(), Kind: s.Kind.Name(), Status: r.Status, Error: errString(r.Err), ExecutionID: r.ExecutionID})
		}
		res.Steps = append(res.Steps, r)
	}
	res.Diagnostics = plan.CapUntrusted(a.diags)
	return res, nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
