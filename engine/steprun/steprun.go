package steprun

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/cache"
	"github.com/pipe-ml/pipe/engine/cachekey"
	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/internal/failpoint"
	"github.com/pipe-ml/pipe/engine/internal/textpages"
	"github.com/pipe-ml/pipe/engine/stepenv"
	"github.com/pipe-ml/pipe/steps"
)

// Step is one step ready to run: its kind, what the kind receives, the
// preimage of its key, and the names its cache entry records.
type Step struct {
	Kind steps.Kind
	// Config is the evaluated configuration, wholly known. It may carry
	// lang.Sensitive marks, which the kind does not see.
	Config       cty.Value
	Files        []steps.File
	Dir          string
	Explanations map[string]string
	Preimage     *cachekey.Preimage
	// Pipeline and Addr name the step in its entry; PipeVersion is the
	// version of pipe that runs it.
	Pipeline, Addr string
	PipeVersion    string
	// Shards, when more than 1 for a steps.Sharder kind, is how many
	// shards the step runs as.
	Shards int
}

// Options say how to run a step.
type Options struct {
	// Env is the step's Env (stepenv.Env.ForStep), with its logger,
	// progress and model registry. Run routes its warnings.
	Env *stepenv.Env
	// Warn receives each warning the step raises, as the entry records
	// it, when it is raised. Nil drops them (the entry keeps them).
	Warn func(string)
	// Redact rewrites a warning before it is recorded (the coordinator
	// removes the values of sensitive variables). Nil keeps it.
	Redact func(string) string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Keys seals the entry of a step whose configuration holds a
	// sensitive value (engine/cache); such a step runs only on the
	// coordinator, so a worker has none.
	Keys cachekey.Keys
}

// OutputsError is a kind that returned outputs its schema does not
// allow: a bug in the kind.
type OutputsError struct{ Err error }

func (e *OutputsError) Error() string { return e.Err.Error() }
func (e *OutputsError) Unwrap() error { return e.Err }

// Run runs s's kind (shard by shard, and then Assemble, for a sharded
// step) and saves its cache entry, which it returns. It fails with a
// *executor.StepError holding the kind's own error, an *OutputsError, or
// the store's error when the entry cannot be saved.
func Run(ctx context.Context, s *Step, o Options) (*cache.Entry, error) {
	r := newRun(s, o)
	if sharder, ok := s.Kind.(steps.Sharder); ok && s.Shards > 1 {
		partials, err := r.shards(ctx, sharder)
		if err != nil {
			return nil, err
		}
		return r.commit(ctx, func(env steps.Env, in *steps.Inputs) (steps.Outputs, error) {
			return sharder.Assemble(ctx, env, in, partials)
		})
	}
	return r.commit(ctx, func(env steps.Env, in *steps.Inputs) (steps.Outputs, error) {
		return s.Kind.Run(ctx, env, in)
	})
}

// run is one Run, RunShard or Assemble in progress.
type run struct {
	s       *Step
	o       Options
	now     func() time.Time
	started time.Time

	mu       sync.Mutex
	warnings []string
	external []steps.ExternalFile
}

func newRun(s *Step, o Options) *run {
	r := &run{s: s, o: o, now: o.Now}
	if r.now == nil {
		r.now = time.Now
	}
	r.started = r.now()
	return r
}

// env is the step's Env, its warnings and the files it writes outside
// the store kept for the entry.
func (r *run) env() *stepenv.Env {
	return r.o.Env.ForStep(nil, func(summary, detail string) {
		w := summary
		if detail != "" {
			w += ": " + detail
		}
		if r.o.Redact != nil {
			w = r.o.Redact(w)
		}
		r.mu.Lock()
		r.warnings = append(r.warnings, w)
		r.mu.Unlock()
		if r.o.Warn != nil {
			r.o.Warn(w)
		}
	}, nil).WithExternalFiles(func(f steps.ExternalFile) {
		r.mu.Lock()
		r.external = append(r.external, f)
		r.mu.Unlock()
	})
}

// inputs is what the kind receives.
func (r *run) inputs() *steps.Inputs {
	unmarked, _ := r.s.Config.UnmarkDeep()
	return &steps.Inputs{Config: unmarked, Files: r.s.Files, Dir: r.s.Dir, Explanations: r.s.Explanations}
}

// commit runs work (the kind's Run or Assemble) and saves the entry of
// what it returned.
func (r *run) commit(ctx context.Context, work func(steps.Env, *steps.Inputs) (steps.Outputs, error)) (*cache.Entry, error) {
	s := r.s
	outputs, err := checked(ctx, r, func(env steps.Env) (steps.Outputs, error) { return work(env, r.inputs()) })
	if err != nil {
		return nil, &executor.StepError{Step: s.Addr, Err: err}
	}
	failpoint.Hit("apply.step.ran") // test hook: the outputs are stored, the cache entry is not
	entry, err := cache.NewEntry(s.Kind, s.Preimage, outputs)
	if err != nil {
		return nil, &OutputsError{Err: err}
	}
	r.mu.Lock()
	entry.AddExternal(r.external)
	entry.Warnings = r.warnings
	r.mu.Unlock()
	entry.Step, entry.Pipeline = s.Addr, s.Pipeline
	entry.Started, entry.Duration, entry.PipeVersion = r.started.UTC(), r.now().Sub(r.started).Seconds(), s.PipeVersion
	saved, err := entry.SealedCopy(r.o.Keys)
	if err != nil {
		return nil, err
	}
	if err := cache.Save(ctx, r.o.Env.Store(), saved); err != nil {
		return nil, err
	}
	failpoint.Hit("apply.entry.saved") // test hook: the cache entry is saved, the step's ref and execution record are not
	return entry, nil
}

// checked runs work (the kind's) in an Env of its own, guarded, and then
// waits for the checks of the artifacts it read in place: a check that
// failed (a corrupt or truncated object) is the step's error, whatever
// the kind made of the bad bytes, and nothing it made is committed.
func checked[T any](ctx context.Context, r *run, work func(steps.Env) (T, error)) (T, error) {
	env := r.env()
	// The code that planned the step ran once; what the step runs maps
	// back in (see engine/internal/textpages). Reading the process's
	// mappings and dropping them takes milliseconds: beside the step,
	// which does not wait for it.
	go textpages.Release() // resident memory only: an error changes no result
	out, err := guard(r.s.Kind, func() (T, error) { return work(env) })
	if verr := env.Verify(ctx); verr != nil && ctx.Err() == nil {
		err = verr
	}
	env.Release()
	return out, err
}

// guard runs work, turning a panic into an error: a bug in one step kind
// must not take down a whole apply, nor a worker without a word, nor
// leave the registry with a running execution. A memory fault (a mapped
// artifact's file truncated under the step; see steps.ArtifactMapper) is
// no bug: it becomes an error too, and the artifact's check then names
// the object.
func guard[T any](k steps.Kind, work func() (T, error)) (out T, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			if f, ok := p.(interface{ Addr() uintptr }); ok {
				err = fmt.Errorf("the %s step read memory that vanished (address %#x): a file it read in place was truncated", k.Name(), f.Addr())
				return
			}
			err = fmt.Errorf("the %s step crashed (a bug in pipe; please report it): %v", k.Name(), p)
		}
	}()
	return work()
}
