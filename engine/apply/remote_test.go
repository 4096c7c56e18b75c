package apply

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/cache"
	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/filehash"
	"github.com/pipe-ml/pipe/engine/pipeline"
	"github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/stepinput"
	"github.com/pipe-ml/pipe/engine/steprun"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/engine/testkinds"
	"github.com/pipe-ml/pipe/steps"
)

// worker is an executor that does what a remote worker does, `pipe step
// exec` (steprun.Exec on the step-input document in the store, one call
// a shard), in this process, and reports through the exit code and
// termination message a worker's executor reads: the remote path without
// the process boundary (cmd/pipe's tests cross it).
type worker struct {
	store   *store.Store
	kinds   *steps.Catalog
	version string
	dir     string
	runs    int
}

func (w *worker) Name() string { return executor.ProcessName }

func (w *worker) Run(ctx context.Context, t *executor.Task) error {
	shards := []int{-1}
	if t.Shards > 1 {
		shards = nil
		for i := range t.Shards {
			shards = append(shards, i)
		}
	}
	for _, i := range shards {
		w.runs++
		t.Events(executor.Event{Type: executor.Started, Shard: i, Where: "test worker"})
		done, err := steprun.Exec(ctx, steprun.Work{Store: w.store, Kinds: w.kinds, PipeVersion: w.version, Input: t.Input, Shard: i, Dir: w.dir})
		if err == nil {
			continue
		}
		var refusal *stepinput.Refusal
		var stepErr *executor.StepError
		switch {
		case errors.As(err, &refusal):
			return executor.Exited(t, "test worker", executor.ExitRefused, executor.NewTermination(done.Step, err, true).Encode())
		case errors.As(err, &stepErr):
			return executor.Exited(t, "test worker", executor.ExitStepFailed, executor.NewTermination(done.Step, stepErr.Err, false).Encode())
		}
		return err
	}
	return nil
}

const remotePipeline = `
pipeline "r" {}

source "corpus" {
  path = "data/*.txt"
}

transform "shout" {
  input  = source.corpus.data
  factor = 2
  FAIL
}

tally "words" {
  input = transform.shout.out
  resources { shards = 3 }
}
`

// remoteFixture is a pipeline folder with a store of its own, applied
// with the executor named def (the worker under the name process).
type remoteFixture struct {
	t       *testing.T
	dir     string
	store   *store.Store
	files   *filehash.Cache
	reg     *registry.DB
	counter *testkinds.Counter
	worker  *worker
	lastRun int64
}

func newRemoteFixture(t *testing.T, src string, storeURL string) *remoteFixture {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{"main.pipe.hcl": src, "data/a.txt": "alpha\nbeta\nalpha\n", "data/b.txt": "gamma\nalpha\n"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
	}
	s, err := store.Open(context.Background(), storeURL, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	reg, err := registry.Open(context.Background(), filepath.Join(dir, ".pipe", "registry.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	f := &remoteFixture{t: t, dir: dir, store: s, reg: reg, counter: &testkinds.Counter{},
		files: filehash.New(filepath.Join(dir, ".pipe"), &filehash.Settings{RacyWindow: time.Nanosecond})}
	f.worker = &worker{store: s, kinds: testkinds.Catalog(f.counter), version: "test", dir: dir}
	return f
}

// apply plans and applies with def as the pipeline's executor.
func (f *remoteFixture) apply(def string) (*Result, []Event) {
	f.t.Helper()
	p, diags := pipeline.Load(pipeline.Options{Path: f.dir, Kinds: testkinds.Catalog(f.counter)})
	if diags.HasErrors() {
		f.t.Fatal(diags)
	}
	pl, diags := plan.Make(context.Background(), plan.Options{Pipeline: p, Store: f.store, Files: f.files, Executor: def})
	if diags.HasErrors() {
		f.t.Fatal(diags)
	}
	runID, err := f.reg.BeginRun(context.Background(), registry.Run{Pipeline: "r", Trigger: registry.TriggerManual, PipeVersion: "test"})
	if err != nil {
		f.t.Fatal(err)
	}
	var events []Event
	res, err := Execute(context.Background(), Options{
		Plan: pl, Store: f.store, Files: f.files, Registry: f.reg, RunID: runID, PipeVersion: "test",
		Executors: map[string]executor.Executor{executor.ProcessName: f.worker},
		Events:    func(e Event) { events = append(events, e) },
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.reg.EndRun(context.Background(), runID, res.Status(), "")
	f.lastRun = runID
	return res, events
}

// artifacts returns every step's outputs as the digests of their
// artifacts and the values of the others, by step.
func artifactsOf(res *Result) map[string]string {
	out := map[string]string{}
	for _, s := range res.Steps {
		out[s.Addr.String()] = s.Key + " " + s.Outputs.GoString()
	}
	return out
}

// A step run by a worker from its step-input document has the same key
// and the same bytes as one run in the process, and each is the other's
// cache hit.
func TestRemoteEqualsLocal(t *testing.T) {
	src := strings.Replace(remotePipeline, "FAIL", "", 1)
	local := newRemoteFixture(t, src, "file://.pipe/store")
	res, _ := local.apply("local")
	if res.Status() != registry.RunSucceeded {
		t.Fatal(res.Diagnostics)
	}
	remote := newRemoteFixture(t, src, "file://.pipe/store")
	rres, events := remote.apply("process")
	if rres.Status() != registry.RunSucceeded {
		t.Fatal(rres.Diagnostics)
	}
	if !maps.Equal(artifactsOf(res), artifactsOf(rres)) {
		t.Errorf("local and remote differ:\n%v\n%v", artifactsOf(res), artifactsOf(rres))
	}
	// The worker ran the transform and the tally's 3 shards; the
	// source, which reads local files, stayed.
	if remote.worker.runs != 4 || remote.counter.Get("source") != 1 || remote.counter.Get("tally/shard") != 3 || remote.counter.Get("tally") != 0 {
		t.Errorf("worker runs %d, counts source %d, shards %d, tally %d", remote.worker.runs, remote.counter.Get("source"), remote.counter.Get("tally/shard"), remote.counter.Get("tally"))
	}
	where := map[string]string{}
	for _, s := range rres.Steps {
		where[s.Addr.String()] = s.Executor
	}
	if where["source.corpus"] != "local" || where["transform.shout"] != "process" || where["tally.words"] != "process" {
		t.Errorf("ran on %v", where)
	}
	var running int
	for _, e := range events {
		if e.Type == StepRunning && e.Executor == "process" {
			running++
		}
	}
	if running != 4 {
		t.Errorf("%d step_running events, want 4", running)
	}
	// The registry records where each ran.
	d, err := remote.reg.Run(context.Background(), remote.lastRun)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range d.Executions {
		if e.Executor != where[e.Step] {
			t.Errorf("the registry says %s ran on %q, the apply %q", e.Step, e.Executor, where[e.Step])
		}
	}

	// Each is the other's cache: the local store's entries serve a
	// remote apply, and the other way round.
	local.worker.store = local.store
	cres, _ := local.apply("process")
	for _, s := range cres.Steps {
		if s.Status != Cached {
			t.Errorf("%s is %s on the second apply", s.Addr, s.Status)
		}
	}
	before := remote.counter.Total()
	cres, _ = remote.apply("local")
	if remote.counter.Total() != before || cres.Status() != registry.RunSucceeded {
		t.Errorf("a local apply after a remote one ran %d steps", remote.counter.Total()-before)
	}
}

// A step that fails by itself on a worker reads exactly as it does in the
// process: the same diagnostic, pointing at the same place.
func TestRemoteStepErrorReadsAsLocal(t *testing.T) {
	src := strings.Replace(remotePipeline, "FAIL", "fail   = true", 1)
	var diags []string
	for _, def := range []string{"local", "process"} {
		f := newRemoteFixture(t, src, "file://.pipe/store")
		res, _ := f.apply(def)
		if res.Status() != registry.RunFailed || len(res.Diagnostics) == 0 {
			t.Fatalf("%s: status %s, %v", def, res.Status(), res.Diagnostics)
		}
		d := res.Diagnostics[0]
		rng := *d.Subject
		rng.Filename = filepath.Base(rng.Filename)
		diags = append(diags, d.Summary+" | "+d.Detail+" | "+rng.String())
		if def == "process" && f.worker.runs != 1 {
			t.Errorf("the failed step ran %d times on the worker", f.worker.runs)
		}
	}
	if diags[0] != diags[1] || !strings.Contains(diags[0], "transform.shout") {
		t.Errorf("local: %s\nremote: %s", diags[0], diags[1])
	}
}

// A worker of another pipe version refuses the step with a message that
// says what to do, and nothing of the step is left in the store.
func TestWorkerOfAnotherVersion(t *testing.T) {
	f := newRemoteFixture(t, strings.Replace(remotePipeline, "FAIL", "", 1), "file://.pipe/store")
	f.worker.version = "v9.9.9"
	res, _ := f.apply("process")
	var shout *StepResult
	for _, s := range res.Steps {
		if s.Addr.String() == "transform.shout" {
			shout = s
		}
	}
	if shout.Status != Failed || len(res.Diagnostics) == 0 {
		t.Fatalf("transform.shout %s: %v", shout.Status, res.Diagnostics)
	}
	d := res.Diagnostics[0]
	for _, want := range []string{"Step transform.shout could not run on the process executor", "the coordinator is pipe test and this worker pipe v9.9.9", "run workers from the image of the coordinator's version"} {
		if !strings.Contains(d.Summary+" "+d.Detail, want) {
			t.Errorf("diagnostic lacks %q: %s: %s", want, d.Summary, d.Detail)
		}
	}
	if entry, _, _ := cache.Lookup(context.Background(), f.store, shout.Key); entry != nil {
		t.Error("the refused step has a cache entry")
	}
	if f.counter.Get("transform") != 0 {
		t.Error("the refused step ran")
	}
}

// A sharded step that failed in one shard runs only that shard again;
// its result is the unsharded one's.
func TestShardsResume(t *testing.T) {
	src := strings.Replace(remotePipeline, "FAIL", "", 1)
	src = strings.Replace(src, "resources { shards = 3 }", "resources { shards = 4 }\n  fail_shard = 2", 1)
	for _, def := range []string{"local", "process"} {
		f := newRemoteFixture(t, src, "file://.pipe/store")
		res, _ := f.apply(def)
		if res.Status() != registry.RunFailed || !strings.Contains(res.Diagnostics[0].Detail, "shard 2 failed") {
			t.Fatalf("%s: %s %v", def, res.Status(), res.Diagnostics)
		}
		first := f.counter.Get("tally/shard")
		os.WriteFile(filepath.Join(f.dir, "main.pipe.hcl"), []byte(strings.Replace(src, "fail_shard = 2", "", 1)), 0o644)
		res, _ = f.apply(def)
		if res.Status() != registry.RunSucceeded {
			t.Fatalf("%s, again: %v", def, res.Diagnostics)
		}
		// Shards 0, 1 and 2 ran (2 failed, and the step stopped there);
		// the second apply ran 2 and 3 alone.
		if n := f.counter.Get("tally/shard"); first != 3 || n != 5 {
			t.Errorf("%s: %d shard runs, then %d more; want 3, then 2", def, first, n-first)
		}

		// The same counts as a tally in one piece.
		one := newRemoteFixture(t, strings.Replace(src, "resources { shards = 4 }\n  fail_shard = 2", "", 1), "file://.pipe/store")
		ores, _ := one.apply("local")
		if got, want := stepOutputs(res, "tally.words"), stepOutputs(ores, "tally.words"); got != want {
			t.Errorf("%s: sharded %s, in one piece %s", def, got, want)
		}
	}
}

func stepOutputs(res *Result, addr string) string {
	for _, s := range res.Steps {
		if s.Addr.String() == addr {
			return s.Key + " " + s.Outputs.GoString()
		}
	}
	return ""
}
