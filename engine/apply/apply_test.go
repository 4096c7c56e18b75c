package apply

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/cache"
	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/filehash"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/engine/pipeline"
	"github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/signing"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/engine/testkinds"
	"github.com/pipe-ml/pipe/steps"
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
	p, diags := pipeline.Load(pipeline.Options{Path: f.dir, Kinds: testkinds.Catalog(f.counter)})
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
		Keys: func() (*signing.Key, error) { return signing.Local(filepath.Join(f.dir, ".pipe")) },
	})
	if diags.HasErrors() {
		f.t.Fatal(diags)
	}
	return pl
}

// apply plans and applies, returning the steps that ran, sorted.
func (f *fixture) apply(parallelism int, targets, replace []string) (ran []string, res *Result) {
	f.t.Helper()
	return f.execute(f.plan(targets, replace), parallelism)
}

// execute applies pl, as apply does.
func (f *fixture) execute(pl *plan.Plan, parallelism int) (ran []string, res *Result) {
	f.t.Helper()
	runID, err := f.reg.BeginRun(context.Background(), registry.Run{Pipeline: "t", Trigger: registry.TriggerManual, PipeVersion: "test"})
	if err != nil {
		f.t.Fatal(err)
	}
	before := f.counter.Total()
	res, err = Execute(context.Background(), Options{
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
	res, err := Execute(ctx, Options{Plan: pl, Store: f.store, Files: f.files, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status() != registry.RunCancelled {
		t.Errorf("status %s", res.Status())
	}
	f.checkStore()
	// What finished is cached; the rest runs next time. (sleep is not
	// part of the key.)
	f.edit(`sleep = "30s"`, `sleep = "0s"`)
	ran, _ := f.apply(4, nil, nil)
	if slices.Contains(ran, "source.corpus") {
		t.Errorf("a step finished before the cancel ran again: %v", ran)
	}
}

// TestRegistryRecordsExecutions: every execution is recorded, a cached
// one whole, with what it used and produced, in one entry of the log
// (a step that runs takes two: started, then ended).
func TestRegistryRecordsExecutions(t *testing.T) {
	f := newFixture(t, basePipeline)
	reg, err := registry.Open(context.Background(), filepath.Join(f.dir, ".pipe", "logged.db"), &registry.Options{Store: f.store})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	f.reg = reg
	entries := func() int {
		list, _ := os.ReadDir(filepath.Join(f.dir, ".pipe", "store", "registry", "log"))
		return len(list)
	}
	f.apply(2, nil, nil)
	first := entries()
	f.apply(1, nil, nil) // one step at a time: no two changes share an entry
	if n := entries() - first; n != 1+6+1 {
		t.Errorf("the cached run took %d entries of the log, want 8: its start, one for each of its 6 steps, its end", n)
	}
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
			if e.Ended.IsZero() || len(e.Produced) == 0 || e.CacheKey == "" || len(e.Config) == 0 {
				t.Errorf("cached execution %s recorded as %+v", e.Step, e)
			}
		}
		if e.Step == "source.corpus" && len(e.Used) != 2 {
			t.Errorf("source.corpus used %v, want its two files", e.Used)
		}
	}
	if cached != 6 {
		t.Errorf("second run recorded %d cached executions, want 6", cached)
	}
}

// checkStore checks that the store holds nothing partial: every object
// hashes to its name, every cache entry names only objects that are
// there, and no temporary file is left.
func (f *fixture) checkStore() {
	f.t.Helper()
	root := filepath.Join(f.dir, ".pipe", "store")
	objects := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		switch {
		case strings.HasPrefix(rel, "objects/sha256/"):
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			name := strings.ReplaceAll(strings.TrimPrefix(rel, "objects/sha256/"), "/", "")
			if hex.EncodeToString(sum[:]) != name {
				f.t.Errorf("object %s does not hash to its name", rel)
			}
			objects["sha256:"+name] = true
		case strings.HasPrefix(rel, "cache/") && strings.HasSuffix(rel, ".json"),
			strings.HasPrefix(rel, "refs/") && strings.HasSuffix(rel, ".json"),
			strings.HasPrefix(rel, "quarantine/"):
		default:
			f.t.Errorf("unexpected file in the store: %s", rel)
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	entries, _ := filepath.Glob(filepath.Join(root, "cache", "*.json"))
	for _, e := range entries {
		key := strings.TrimSuffix(filepath.Base(e), ".json")
		entry, miss, err := cache.Lookup(context.Background(), f.store, key)
		if err != nil || miss != nil || entry == nil {
			f.t.Errorf("cache entry %s: %v %v", key, miss, err)
			continue
		}
		for _, d := range entry.Artifacts {
			if !objects[d] {
				f.t.Errorf("cache entry %s names %s, which is not in the store", key, d)
			}
		}
	}
}

// A step killed by Ctrl-C while it writes an artifact leaves no object
// behind, whole or partial.
func TestCancelMidWriteLeavesNoObject(t *testing.T) {
	f := newFixture(t, strings.Replace(basePipeline, "factor = 2", "factor = 2\n  sleep = \"30s\"", 1))
	pl := f.plan(nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	writing := make(chan struct{})
	var once sync.Once
	kinds := testkinds.Catalog(f.counter)
	slow := &slowWriter{Kind: mustKind(t, kinds, "source"), started: func() { once.Do(func() { close(writing) }) }}
	for _, s := range pl.Steps {
		if s.Addr.Kind == "source" {
			s.Kind = slow
		}
	}
	go func() {
		<-writing
		cancel()
	}()
	res, err := Execute(ctx, Options{Plan: pl, Store: f.store, Files: f.files, Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status() != registry.RunCancelled {
		t.Errorf("status %s", res.Status())
	}
	f.checkStore()
	objs, _ := filepath.Glob(filepath.Join(f.dir, ".pipe", "store", "objects", "sha256", "*", "*"))
	if len(objs) != 0 {
		t.Errorf("objects of cancelled steps: %v", objs)
	}
}

// slowWriter is a kind that writes half an artifact and then waits for
// its context to end.
type slowWriter struct {
	steps.Kind
	started func()
}

func (k *slowWriter) Run(ctx context.Context, env steps.Env, in *steps.Inputs) (steps.Outputs, error) {
	_, err := env.PutArtifact(ctx, "text/plain", func(w io.Writer) error {
		if _, err := w.Write(bytes.Repeat([]byte("half "), 1<<16)); err != nil {
			return err
		}
		k.started()
		<-ctx.Done()
		return ctx.Err()
	})
	return nil, err
}

func mustKind(t *testing.T, r *steps.Catalog, name string) steps.Kind {
	t.Helper()
	k, ok := r.Lookup(name)
	if !ok {
		t.Fatalf("no kind %s", name)
	}
	return k
}

// An artifact whose bytes no longer match their digest is never used: the
// step reading it fails with a message about the store, the bad object
// is set aside, and the next apply runs the step that made it again.
func TestCorruptArtifactIsNeverData(t *testing.T) {
	f := newFixture(t, basePipeline)
	f.apply(4, nil, nil)
	pl := f.plan(nil, nil)
	corpus := pl.Step(config.StepAddr{Kind: "source", Name: "corpus"})
	a, err := steps.ArtifactFromValue(corpus.Outputs.GetAttr("data"))
	if err != nil {
		t.Fatal(err)
	}
	hexDigest := strings.TrimPrefix(a.Digest, "sha256:")
	obj := filepath.Join(f.dir, ".pipe", "store", "objects", "sha256", hexDigest[:2], hexDigest[2:])
	b, err := os.ReadFile(obj)
	if err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff // same size, other bytes
	if err := os.WriteFile(obj, b, 0o644); err != nil {
		t.Fatal(err)
	}

	ran, res := f.apply(4, nil, []string{"transform.shout"})
	expectRan(t, ran)
	// (transform.whisper's output has the same bytes as its input, so it
	// may find its own entry's artifact gone too, and fail alike.)
	var diag *hcl.Diagnostic
	for _, d := range res.Diagnostics {
		if d.Severity == hcl.DiagError && strings.HasPrefix(d.Detail, "transform.shout: ") {
			diag = d
		}
	}
	if diag == nil || diag.Summary != "Corrupt artifact in the store" || diag.Subject == nil || diag.Subject.Start.Line != 12 {
		for _, d := range res.Diagnostics {
			t.Logf("%d: %s: %s", d.Severity, d.Summary, d.Detail)
		}
		t.Fatal("no diagnostic for the corrupt artifact")
	}

	// The entry of source.corpus names an object that is gone (to
	// quarantine): it runs again and writes it back; transform.shout's
	// own entry is still good.
	ran, res = f.apply(4, nil, nil)
	if !slices.Contains(ran, "source.corpus") || slices.Contains(ran, "transform.shout") {
		t.Errorf("second apply ran %v", ran)
	}
	if res.Status() != registry.RunSucceeded {
		t.Fatalf("second apply: %s %v", res.Status(), res.Diagnostics)
	}
	f.checkStore()
}

// A value of the wrong type that only shows once the step before has run
// fails the step at the attribute, and skips what follows.
func TestWrongTypeBetweenSteps(t *testing.T) {
	f := newFixture(t, strings.Replace(basePipeline, "factor = 2", `factor = source.corpus.lines > 0 ? "many" : 1`, 1))
	res, err := Execute(context.Background(), Options{Plan: f.plan(nil, nil), Store: f.store, Files: f.files, Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, s := range res.Steps {
		status[s.Addr.String()] = s.Status
	}
	if status["transform.shout"] != Failed || status["combine.both"] != Skipped || status["transform.whisper"] != Ran || f.counter.Get("transform") != 2 {
		t.Errorf("statuses %v, %d transforms ran", status, f.counter.Get("transform"))
	}
	if len(res.Diagnostics) != 1 {
		t.Fatalf("diagnostics: %v", res.Diagnostics)
	}
	d := res.Diagnostics[0]
	if d.Summary != "Incorrect attribute value type" || d.Subject == nil || d.Subject.Start.Line != 14 || !strings.Contains(d.Detail, `"factor"`) {
		t.Errorf("diagnostic %q %q at %v", d.Summary, d.Detail, d.Subject)
	}
}

// A cache entry corrupted after the plan found it is a warning and a
// miss: the step runs again and rewrites it. (Corrupted before, the plan
// warns, and apply does not warn again.)
func TestCorruptEntryRunsAgain(t *testing.T) {
	f := newFixture(t, basePipeline)
	f.apply(4, nil, nil)
	pl := f.plan(nil, nil)
	key := pl.Step(config.StepAddr{Kind: "transform", Name: "side"}).Key
	entry := filepath.Join(f.dir, ".pipe", "store", "cache", key+".json")
	b, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(entry, b[:len(b)/2], 0o644)
	ran, res := f.execute(pl, 4)
	expectRan(t, ran, "transform.side")
	if res.Status() != registry.RunSucceeded || len(res.Diagnostics) != 1 || res.Diagnostics[0].Summary != "Unusable cache entry" || res.Diagnostics[0].Severity != hcl.DiagWarning {
		t.Errorf("%s %v", res.Status(), res.Diagnostics)
	}
	ran, _ = f.apply(4, nil, nil)
	expectRan(t, ran)
	f.checkStore()
}

// A step whose error quotes a sensitive variable's value has it redacted
// in what the apply records (the registry's execution row), reports (the
// step_finished event, the result) and explains (the diagnostic); the
// steps after it are still skipped, and the error keeps its chain.
func TestSensitiveValueInAStepError(t *testing.T) {
	const secret = "98765.4321"
	f := newFixture(t, basePipeline+`
variable "token" {
  type      = number
  default   = `+secret+`
  sensitive = true
}

transform "quiet" {
  input  = source.corpus.data
  factor = var.token
}

combine "after" {
  inputs = [transform.quiet.out]
}
`)
	pl := f.plan(nil, nil)
	runID, err := f.reg.BeginRun(context.Background(), registry.Run{Pipeline: "t", Trigger: registry.TriggerManual, PipeVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var events []Event
	var mu sync.Mutex
	res, err := Execute(context.Background(), Options{
		Plan: pl, Store: f.store, Files: f.files, Registry: f.reg, RunID: runID, Parallelism: 2,
		Events: func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	const want = "factor must be a whole number, not " + lang.Redacted
	var quiet *StepResult
	for _, s := range res.Steps {
		if s.Addr.String() == "transform.quiet" {
			quiet = s
		}
		if s.Addr.String() == "combine.after" && s.Status != Skipped {
			t.Errorf("combine.after: %s, want skipped", s.Status)
		}
	}
	if quiet == nil || quiet.Status != Failed || !strings.Contains(quiet.Err.Error(), want) {
		t.Fatalf("transform.quiet: %+v, want failed with %q", quiet, want)
	}
	var attrErr *steps.AttrError
	if !errors.As(quiet.Err, &attrErr) {
		t.Errorf("the redacted error lost its chain: %T", quiet.Err)
	}
	var texts []string
	for _, d := range res.Diagnostics {
		texts = append(texts, d.Summary, d.Detail)
	}
	if joined := strings.Join(texts, "\n"); !strings.Contains(joined, want) || strings.Contains(joined, secret) {
		t.Errorf("diagnostics:\n%s", joined)
	}
	found := false
	for _, e := range events {
		b, _ := json.Marshal(e)
		if strings.Contains(string(b), secret) {
			t.Errorf("event shows the sensitive value: %s", b)
		}
		if e.Type == StepFinished && e.Step == "transform.quiet" && strings.Contains(e.Error, want) {
			found = true
		}
	}
	if !found {
		t.Errorf("no step_finished event for transform.quiet with the redacted error: %+v", events)
	}

	detail, err := f.reg.Run(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	found = false
	for _, e := range detail.Executions {
		if strings.Contains(e.Error, secret) {
			t.Errorf("registry: %s records the sensitive value: %s", e.Step, e.Error)
		}
		if e.Step == "transform.quiet" && strings.Contains(e.Error, want) {
			found = true
		}
	}
	if !found {
		t.Errorf("registry: no redacted error for transform.quiet: %+v", detail.Executions)
	}
}
