package apply

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/filehash"
	"github.com/pipe-ml/pipe/engine/pipeline"
	"github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/engine/testkinds"
)

// fixture is a pipeline folder with its own store, state and counters.
type fixture struct {
	t       *testing.T
	dir     string
	store   *store.Store
	files   *filehash.Cache
	counter *testkinds.Counter
	reg     *registry.DB
}

const basePipeline = `
pipeline "t" {}

source "corpus" {
  path = "data/*.txt"
}

source "other" {
  path = "other/*.txt"
}

transform "shout" {
  input  = source.corpus.data
  factor = 2
}

transform "whisper" {
  input = source.corpus.data
  mode  = "lower"
}

combine "both" {
  inputs = [transform.shout.out, transform.whisper.out]
}

transform "side" {
  input = source.other.data
}
`

func newFixture(t *testing.T, pipelineSrc string) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{t: t, dir: dir, counter: &testkinds.Counter{}}
	f.write("main.pipe.hcl", pipelineSrc)
	f.write("data/a.txt", "alpha\n")
	f.write("data/b.txt", "beta\n")
	f.write("other/c.txt", "gamma\n")
	s, err := store.Open(context.Background(), "file://.pipe/store", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f.store = s
	f.files = filehash.New(filepath.Join(dir, ".pipe"), &filehash.Settings{RacyWindow: time.Nanosecond})
	reg, err := registry.Open(context.Background(), filepath.Join(dir, ".pipe", "registry.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	f.reg = reg
	return f
}

func (f *fixture) write(name, content string) {
	f.t.Helper()
	p := filepath.Join(f.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) edit(old, new string) {
	f.t.Helper()
	p := filepath.Join(f.dir, "main.pipe.hcl")
	b, _ := os.ReadFile(p)
	if !bytes.Contains(b, []byte(old)) {
		f.t.Fatalf("pipeline has no %q", old)
	}
	os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644)
}

func (f *fixture) plan(targets, replace []string) *plan.Plan {
	f.t.Helper()
	p, diags := pipeline.Load(pipeline.Options{Path: f.dir, Kinds: testkinds.Registry(f.counter)})
	if diags.HasErrors() {
		f.t.Fatal(diags)
	}
	addrs := func(ss []string) (out []config.StepAddr) {
		for _, s := range ss {
			a, err := config.ParseStepAddr(s)
			if err != nil {
				f.t.Fatal(err)
			}
			out = append(out, a)
		}
		return out
	}
	pl, diags := plan.Make(context.Background(), plan.Options{
		Pipeline: p, Store: f.store, Files: f.files, Targets: addrs(targets), Replace: addrs(replace),
	})
	if diags.HasErrors() {
		f.t.Fatal(diags)
	}
	return pl
}

// apply plans and applies, returning the steps that ran, sorted.
func (f *fixture) apply(parallelism int, targets, replace []string) (ran []string, res *Result) {
	f.t.Helper()
	pl := f.plan(targets, replace)
	runID, err := f.reg.BeginRun(context.Background(), registry.Run{Pipeline: "t", Trigger: registry.TriggerManual, PipeVersion: "test"})
	if err != nil {
		f.t.Fatal(err)
	}
	before := f.counter.Total()
	res, err = Apply(context.Background(), Options{
		Plan: pl, Store: f.store, Files: f.files, Registry: f.reg, RunID: runID, Parallelism: parallelism,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.reg.EndRun(context.Background(), runID, res.Status(), "")
	failed := 0
	for _, s := range res.Steps {
		switch s.Status {
		case Ran:
			ran = append(ran, s.Addr.String())
		case Failed:
			failed++
		}
	}
	sort.Strings(ran)
	if got := f.counter.Total() - before; got != len(ran)+failed {
		f.t.Fatalf("%d executions counted, %d steps reported as ran and %d as failed", got, len(ran), failed)
	}
	return ran, res
}

func expectRan(t *testing.T, got []string, want ...string) {
	t.Helper()
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("ran %v, want %v", got, want)
	}
}

func TestSecondApplyRunsNothing(t *testing.T) {
	f := newFixture(t, basePipeline)
	ran, res := f.apply(4, nil, nil)
	expectRan(t, ran, "source.corpus", "source.other", "transform.shout", "transform.whisper", "combine.both", "transform.side")
	if res.Status() != registry.RunSucceeded {
		t.Fatalf("status %s: %v", res.Status(), res.Diagnostics)
	}
	ran, _ = f.apply(4, nil, nil)
	expectRan(t, ran)
	pl := f.plan(nil, nil)
	if run, cached := pl.Counts(); run != 0 || cached != 6 {
		t.Errorf("plan after apply: %d to run, %d cached", run, cached)
	}
}

func TestChangedAttributeRerunsItAndDependants(t *testing.T) {
	f := newFixture(t, basePipeline)
	f.apply(4, nil, nil)
	f.edit("factor = 2", "factor = 3")
	pl := f.plan(nil, nil)
	shout := pl.Step(config.StepAddr{Kind: "transform", Name: "shout"})
	if shout.Action != plan.Run || len(shout.Reasons) != 1 || shout.Reasons[0].Message != "factor: 2 → 3" {
		t.Errorf("shout plan: %s %+v", shout.Action, shout.Reasons)
	}
	both := pl.Step(config.StepAddr{Kind: "combine", Name: "both"})
	if !both.KnownAfterApply || both.Reasons[0].Code != plan.ReasonUpstream {
		t.Errorf("both plan: %+v", both.Reasons)
	}
	ran, _ := f.apply(4, nil, nil)
	expectRan(t, ran, "transform.shout", "combine.both")
}

func TestChangedInputFileRerunsWhatReadsIt(t *testing.T) {
	f := newFixture(t, basePipeline)
	f.apply(4, nil, nil)
	f.write("other/c.txt", "GAMMA changed\n")
	pl := f.plan(nil, nil)
	other := pl.Step(config.StepAddr{Kind: "source", Name: "other"})
	if got := other.Reasons[0].Changes[0].Name; got != "other/c.txt" {
		t.Errorf("reason names %q, want the file", got)
	}
	ran, _ := f.apply(4, nil, nil)
	expectRan(t, ran, "source.other", "transform.side")

	// A new file matching the glob.
	f.write("data/z.txt", "zeta\n")
	ran, _ = f.apply(4, nil, nil)
	expectRan(t, ran, "source.corpus", "transform.shout", "transform.whisper", "combine.both")
}

func TestRenamedStepHitsTheCache(t *testing.T) {
	f := newFixture(t, basePipeline)
	f.apply(4, nil, nil)
	f.edit(`transform "side"`, `transform "renamed"`)
	ran, _ := f.apply(4, nil, nil)
	expectRan(t, ran)
}

func TestUnchangedOutputStopsTheRipple(t *testing.T) {
	// Touching an input without changing its bytes, or re-running a step
	// that produces the same bytes, must not re-run what follows.
	f := newFixture(t, basePipeline)
	f.apply(4, nil, nil)
	ran, _ := f.apply(4, nil, []string{"source.corpus"})
	expectRan(t, ran, "source.corpus")
	now := time.Now().Add(time.Minute)
	os.Chtimes(filepath.Join(f.dir, "data/a.txt"), now, now)
	ran, _ = f.apply(4, nil, nil)
	expectRan(t, ran)
}

func TestTargetAndReplace(t *testing.T) {
	f := newFixture(t, basePipeline)
	ran, _ := f.apply(4, []string{"transform.shout"}, nil)
	expectRan(t, ran, "source.corpus", "transform.shout")
	ran, _ = f.apply(4, []string{"transform.shout"}, []string{"transform.shout"})
	expectRan(t, ran, "transform.shout")
	ran, _ = f.apply(4, nil, nil)
	expectRan(t, ran, "source.other", "transform.whisper", "combine.both", "transform.side")
}

func TestFailureSkipsDependantsAndResumes(t *testing.T) {
	f := newFixture(t, strings.Replace(basePipeline, "factor = 2", "factor = 2\n  fail = true", 1))
	ran, res := f.apply(4, nil, nil)
	expectRan(t, ran, "source.corpus", "source.other", "transform.whisper", "transform.side")
	status := map[string]string{}
	for _, s := range res.Steps {
		status[s.Addr.String()] = s.Status
	}
	if status["transform.shout"] != Failed || status["combine.both"] != Skipped {
		t.Errorf("statuses: %v", status)
	}
	if res.Status() != registry.RunFailed || len(res.Diagnostics) != 1 || res.Diagnostics[0].Subject == nil {
		t.Fatalf("result %s, diagnostics %v", res.Status(), res.Diagnostics)
	}
	if d := res.Diagnostics[0]; d.Summary != "Step transform.shout failed" || d.Subject.Start.Line != 12 {
		t.Errorf("diagnostic %q at line %d", d.Summary, d.Subject.Start.Line)
	}
	f.edit("fail = true", "fail = false")
	ran, _ = f.apply(4, nil, nil)
	expectRan(t, ran, "transform.shout", "combine.both")
}

func TestParallelismDoesNotChangeArtifacts(t *testing.T) {
	digests := func(par int) []string {
		f := newFixture(t, basePipeline)
		_, res := f.apply(par, nil, nil)
		var out []string
		for _, s := range res.Steps {
			for name, v := range s.Outputs.AsValueMap() {
				out = append(out, s.Addr.String()+"."+name+"="+v.GoString())
			}
		}
		sort.Strings(out)
		return out
	}
	one, eight := digests(1), digests(8)
	if !slices.Equal(one, eight) {
		t.Errorf("outputs differ between -parallelism=1 and 8:\n%v\n%v", one, eight)
	}
}

func TestCancelLeavesNothingHalfDone(t *testing.T) {
	f := newFixture(t, strings.Replace(basePipeline, "factor = 2", "factor = 2\n  sleep = \"30s\"", 1))
	pl := f.plan(nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for f.counter.Get("transform") == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	res, err := Apply(ctx, Options{Plan: pl, Store: f.store, Files: f.files, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status() != registry.RunCancelled {
		t.Errorf("status %s", res.Status())
	}
	// What finished is cached; the rest runs next time. (sleep is not
	// part of the key.)
	f.edit(`sleep = "30s"`, `sleep = "0s"`)
	ran, _ := f.apply(4, nil, nil)
	if slices.Contains(ran, "source.corpus") {
		t.Errorf("a step finished before the cancel ran again: %v", ran)
	}
}

func TestRegistryRecordsExecutions(t *testing.T) {
	f := newFixture(t, basePipeline)
	f.apply(2, nil, nil)
	f.apply(2, nil, nil)
	runs, err := f.reg.Runs(context.Background(), registry.RunFilter{Limit: 10})
	if err != nil || len(runs) != 2 {
		t.Fatalf("runs %v %v", runs, err)
	}
	detail, err := f.reg.Run(context.Background(), runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	cached := 0
	for _, e := range detail.Executions {
		if e.Status == registry.ExecCached {
			cached++
		}
		if e.Step == "source.corpus" && len(e.Used) != 2 {
			t.Errorf("source.corpus used %v, want its two files", e.Used)
		}
	}
	if cached != 6 {
		t.Errorf("second run recorded %d cached executions, want 6", cached)
	}
}
