package plan_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/apply"
	"github.com/pipe-ml/pipe/engine/cachekey"
	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/filehash"
	"github.com/pipe-ml/pipe/engine/pipeline"
	. "github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/signing"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/engine/testkinds"
	"github.com/pipe-ml/pipe/steps"
)

// versioned wraps a kind to change its implementation version.
type versioned struct {
	steps.Kind
	v string
}

func (k versioned) Version() string { return k.v }

type env struct {
	t     testing.TB
	dir   string
	store *store.Store
	files *filehash.Cache
	kinds *steps.Catalog
}

func newEnv(t testing.TB) *env {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	os.WriteFile(filepath.Join(dir, "data", "a.txt"), []byte("a\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte(`
pipeline "p" {}
source "in" {
  path = "data/*.txt"
}
transform "t" {
  input  = source.in.data
  factor = 2
}
`), 0o644)
	s, err := store.Open(context.Background(), "file://.pipe/store", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &env{t: t, dir: dir, store: s, files: filehash.New(filepath.Join(dir, ".pipe"), &filehash.Settings{RacyWindow: time.Nanosecond}), kinds: testkinds.Catalog(nil)}
}

func (e *env) make(replace ...config.StepAddr) *Plan {
	e.t.Helper()
	p, diags := pipeline.Load(pipeline.Options{Path: e.dir, Kinds: e.kinds})
	if diags.HasErrors() {
		e.t.Fatal(diags)
	}
	pl, diags := Make(context.Background(), Options{Pipeline: p, Store: e.store, Files: e.files, Replace: replace})
	if diags.HasErrors() {
		e.t.Fatal(diags)
	}
	return pl
}

func (e *env) apply() {
	e.t.Helper()
	res, err := apply.Execute(context.Background(), apply.Options{Plan: e.make(), Store: e.store, Files: e.files})
	if err != nil || res.Status() != "succeeded" {
		e.t.Fatalf("apply: %v %v", err, res.Diagnostics)
	}
}

var (
	source    = config.StepAddr{Kind: "source", Name: "in"}
	transform = config.StepAddr{Kind: "transform", Name: "t"}
)

func reasons(s *Step) string {
	var parts []string
	for _, r := range s.Reasons {
		parts = append(parts, r.Code+": "+r.Message)
	}
	return strings.Join(parts, " | ")
}

func TestReasons(t *testing.T) {
	e := newEnv(t)
	pl := e.make()
	if got := reasons(pl.Step(source)); got != "new: no earlier execution of this step is recorded in the store" {
		t.Errorf("new step: %s", got)
	}
	if got := reasons(pl.Step(transform)); !strings.HasPrefix(got, "new: ") || !strings.Contains(got, "upstream: its inputs are known after source.in runs") {
		t.Errorf("new downstream step: %s", got)
	}
	e.apply()

	// -replace.
	pl = e.make(transform)
	if got := reasons(pl.Step(transform)); got != "replace: -replace asked for it" {
		t.Errorf("replace: %s", got)
	}

	// An implementation version change.
	k, _ := e.kinds.Lookup("transform")
	e.kinds = steps.NewCatalog(mustLookup(e.kinds, "source"), versioned{k, "2"}, mustLookup(e.kinds, "combine"))
	pl = e.make()
	if got := reasons(pl.Step(transform)); got != "changed: step implementation changed (version 1 → 2)" {
		t.Errorf("version: %s", got)
	}
	e.kinds = testkinds.Catalog(nil)

	// An input file changes: its step runs for that reason, the next one
	// is known after apply.
	os.WriteFile(filepath.Join(e.dir, "data", "a.txt"), []byte("changed\n"), 0o644)
	pl = e.make()
	if got := reasons(pl.Step(source)); !strings.HasPrefix(got, "changed: input file data/a.txt changed (sha256:") {
		t.Errorf("file: %s", got)
	}
	if s := pl.Step(transform); !s.KnownAfterApply {
		t.Errorf("transform should wait on source: %s", reasons(s))
	}
	os.WriteFile(filepath.Join(e.dir, "data", "a.txt"), []byte("a\n"), 0o644)

	// The entry is deleted: same inputs, no entry.
	key := e.make().Step(source).Key
	os.Remove(filepath.Join(e.dir, ".pipe", "store", "cache", key+".json"))
	if got := reasons(e.make().Step(source)); got != "no_entry: its inputs are those of its last execution, but that execution's cache entry is gone" {
		t.Errorf("no entry: %s", got)
	}
	e.apply()

	// A corrupt entry is a warning and a miss.
	os.WriteFile(filepath.Join(e.dir, ".pipe", "store", "cache", key+".json"), []byte(`{"truncated`), 0o644)
	p, _ := pipeline.Load(pipeline.Options{Path: e.dir, Kinds: e.kinds})
	pl, diags := Make(context.Background(), Options{Pipeline: p, Store: e.store, Files: e.files})
	if len(diags) != 1 || diags[0].Summary != "Unusable cache entry" {
		t.Errorf("corrupt entry diagnostics: %v", diags)
	}
	if got := reasons(pl.Step(source)); !strings.HasPrefix(got, "miss: ") {
		t.Errorf("corrupt: %s", got)
	}
}

func mustLookup(r *steps.Catalog, name string) steps.Kind {
	k, _ := r.Lookup(name)
	return k
}

func TestSavedPlanStale(t *testing.T) {
	e := newEnv(t)
	pl := e.make()
	file := filepath.Join(t.TempDir(), "p.plan")
	if _, err := pl.Save(file, "test", e.dir, e.store.URL(), time.Now()); err != nil {
		t.Fatal(err)
	}
	doc, err := Read(file)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if problems := Stale(doc, e.make()); len(problems) != 0 {
		t.Errorf("fresh plan is stale: %v", problems)
	}
	// Running the plan's steps elsewhere in the meantime is fine.
	e.apply()
	if problems := Stale(doc, e.make()); len(problems) != 0 {
		t.Errorf("plan run elsewhere is stale: %v", problems)
	}

	// An input file changes after the plan.
	pl = e.make()
	pl.Save(file, "test", e.dir, e.store.URL(), time.Now())
	doc, _ = Read(file)
	os.WriteFile(filepath.Join(e.dir, "data", "a.txt"), []byte("other\n"), 0o644)
	problems := Stale(doc, e.make())
	if len(problems) != 2 || !strings.Contains(problems[0], "step source.in was planned as cached and would now be run (input file data/a.txt changed") {
		t.Errorf("changed input: %v", problems)
	}

	// The pipeline file changes.
	b, _ := os.ReadFile(filepath.Join(e.dir, "main.pipe.hcl"))
	os.WriteFile(filepath.Join(e.dir, "main.pipe.hcl"), append(b, []byte("\n# edited\n")...), 0o644)
	problems = Stale(doc, e.make())
	if len(problems) == 0 || !strings.Contains(problems[0], "pipeline file") {
		t.Errorf("changed pipeline: %v", problems)
	}

	// Not a plan at all.
	var damaged *DamagedError
	if _, err := Read(filepath.Join(e.dir, "main.pipe.hcl")); !errors.As(err, &damaged) {
		t.Errorf("a pipeline file read as a plan: %v", err)
	}
}

func TestEveryStepProblemReported(t *testing.T) {
	e := newEnv(t)
	os.WriteFile(filepath.Join(e.dir, "main.pipe.hcl"), []byte(`
pipeline "p" {}
source "in" {
  path = "data/*.txt"
}
source "gone" {
  path = "missing/*.txt"
}
source "also_gone" {
  path = "nowhere/*.txt"
}
transform "t" {
  input      = source.gone.data
  depends_on = [source.in]
}
`), 0o644)
	p, diags := pipeline.Load(pipeline.Options{Path: e.dir, Kinds: e.kinds})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	_, diags = Make(context.Background(), Options{Pipeline: p, Store: e.store, Files: e.files})
	var got []string
	for _, d := range diags {
		got = append(got, fmt.Sprintf("%d %s", d.Subject.Start.Line, d.Summary))
	}
	slices.Sort(got)
	if want := []string{"10 No input files", "7 No input files"}; !slices.Equal(got, want) {
		t.Errorf("diagnostics %v, want %v", got, want)
	}

	// A depends_on does not make a key unknown, and is not named as what
	// the key waits on.
	os.WriteFile(filepath.Join(e.dir, "main.pipe.hcl"), []byte(`
pipeline "p" {}
source "in" {
  path = "data/*.txt"
}
source "more" {
  path = "data/*.txt"
}
transform "t" {
  input      = source.in.data
  depends_on = [source.more]
}
`), 0o644)
	pl := e.make()
	if got := reasons(pl.Step(transform)); !strings.Contains(got, "upstream: its inputs are known after source.in runs") {
		t.Errorf("upstream reason: %s", got)
	}
}

func TestTargetsAndReplaceChecked(t *testing.T) {
	e := newEnv(t)
	p, _ := pipeline.Load(pipeline.Options{Path: e.dir, Kinds: e.kinds})
	_, diags := Make(context.Background(), Options{Pipeline: p, Store: e.store, Files: e.files,
		Targets: []config.StepAddr{{Kind: "transform", Name: "tt"}}})
	if len(diags) != 1 || diags[0].Summary != "No such step" || !strings.Contains(diags[0].Detail, "Did you mean transform.t?") {
		t.Errorf("unknown target: %v", diags)
	}
	pl, diags := Make(context.Background(), Options{Pipeline: p, Store: e.store, Files: e.files,
		Targets: []config.StepAddr{source}, Replace: []config.StepAddr{transform}})
	if diags.HasErrors() || len(diags) != 1 || diags[0].Summary != "Step to replace is not targeted" {
		t.Errorf("replace outside the targets: %v", diags)
	}
	if pl == nil || len(pl.Steps) != 1 {
		t.Errorf("plan of the target: %+v", pl)
	}
}

func TestSavedPlanPipelinePath(t *testing.T) {
	e := newEnv(t)
	file := filepath.Join(t.TempDir(), "p.plan")
	// As given on the command line, relative to where plan ran.
	t.Chdir(filepath.Dir(e.dir))
	if _, err := e.make().Save(file, "test", filepath.Base(e.dir), e.store.URL(), time.Now()); err != nil {
		t.Fatal(err)
	}
	doc, err := Read(file)
	if err != nil {
		t.Fatal(err)
	}
	// From any folder on this machine, the folder plan read.
	t.Chdir(t.TempDir())
	if got, err := doc.Saved.PipelinePath(); err != nil || got != e.dir {
		t.Errorf("PipelinePath = %q, %v; want %s", got, err, e.dir)
	}
	// Pipeline files are compared by their names in the pipeline folder,
	// whatever path loads it.
	p, diags := pipeline.Load(pipeline.Options{Path: e.dir, Kinds: e.kinds})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	fresh, _ := Make(context.Background(), Options{Pipeline: p, Store: e.store, Files: e.files})
	if problems := Stale(doc, fresh); len(problems) != 0 {
		t.Errorf("the same pipeline loaded by its absolute path is stale: %v", problems)
	}
	// Elsewhere (another checkout), the path as given, relative to the
	// current folder.
	doc.Saved.AbsPath = filepath.Join(t.TempDir(), "gone")
	if _, err := doc.Saved.PipelinePath(); err == nil || !strings.Contains(err.Error(), "Run pipe apply from the folder where pipe plan ran") {
		t.Errorf("no pipeline anywhere: %v", err)
	}
	os.Mkdir(filepath.Base(e.dir), 0o755)
	if got, err := doc.Saved.PipelinePath(); err != nil || got != filepath.Base(e.dir) {
		t.Errorf("PipelinePath = %q, %v; want the relative path", got, err)
	}
}

// A store that fails is one diagnostic, not one per step.
func TestStoreFailureReportedOnce(t *testing.T) {
	e := newEnv(t)
	refs := filepath.Join(e.dir, ".pipe", "store", "refs")
	os.RemoveAll(refs)
	if err := os.WriteFile(refs, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, _ := pipeline.Load(pipeline.Options{Path: e.dir, Kinds: e.kinds})
	_, diags := Make(context.Background(), Options{Pipeline: p, Store: e.store, Files: e.files})
	if len(diags) != 1 || diags[0].Summary != "Store unavailable" || !strings.HasPrefix(diags[0].Detail, "source.in: store: ") {
		t.Errorf("diagnostics: %v", diags)
	}
}

// A saved plan keeps its variables' values, except sensitive ones (only
// their hashes): given another value when applying, the plan is stale.
func TestSavedPlanSensitiveVariable(t *testing.T) {
	e := newEnv(t)
	os.WriteFile(filepath.Join(e.dir, "vars.pipe.hcl"), []byte(`
variable "token" {
  type      = string
  sensitive = true
}
combine "c" {
  inputs = [source.in.data]
  params = { token = var.token }
}
`), 0o644)
	keys, otherKeys := localKeys(t), localKeys(t)
	loadWith := func(token string, keys cachekey.Keys) *Plan {
		p, diags := pipeline.Load(pipeline.Options{Path: e.dir, Kinds: e.kinds, Vars: eval.VarInputs{Args: []eval.VarArg{{Assign: "token=" + token}}}})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		pl, diags := Make(context.Background(), Options{Pipeline: p, Store: e.store, Files: e.files, Keys: keys})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		return pl
	}
	load := func(token string) *Plan { return loadWith(token, keys) }
	file := filepath.Join(t.TempDir(), "p.plan")
	if _, err := load("hunter2").Save(file, "test", e.dir, e.store.URL(), time.Now()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(file)
	unkeyed := sha256.Sum256([]byte(`"hunter2"`))
	if strings.Contains(string(b), "hunter2") || strings.Contains(string(b), hex.EncodeToString(unkeyed[:])) || !strings.Contains(string(b), `"sensitive_hmac"`) {
		t.Errorf("the saved plan holds a sensitive value or its unkeyed hash:\n%s", b)
	}
	doc, _ := Read(file)
	if _, ok := doc.Saved.VariableValues()["token"]; ok {
		t.Error("a sensitive value came back from the saved plan")
	}
	if problems := Stale(doc, load("hunter2")); len(problems) != 0 {
		t.Errorf("same value: %v", problems)
	}
	problems := Stale(doc, load("swordfish"))
	if len(problems) == 0 || !strings.Contains(problems[0], "sensitive variable token has another value than when planned") || strings.Contains(fmt.Sprint(problems), "swordfish") {
		t.Errorf("another value: %v", problems)
	}
	// Applied where another key hashes, the same value does not compare
	// equal: the plan says so rather than applying unchecked.
	if problems := Stale(doc, loadWith("hunter2", otherKeys)); len(problems) == 0 {
		t.Error("the same value under another key compares equal")
	}
}

// localKeys returns a key source of a new local key (engine/signing).
func localKeys(t *testing.T) cachekey.Keys {
	t.Helper()
	k, err := signing.Local(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return func() (*signing.Key, error) { return k, nil }
}

// A store full of untrusted entries is a few warnings, not one per step:
// the first MaxUntrusted, then one that names the other steps; other
// warnings and errors pass as they are.
func TestCapUntrusted(t *testing.T) {
	var diags hcl.Diagnostics
	for i := range 6 {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: SummaryUntrusted, Detail: fmt.Sprintf("load.s%d: cache: cache entry ...", i)})
	}
	diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: SummaryUnusable, Detail: "train.m: corrupt"})
	got := CapUntrusted(diags)
	var summaries []string
	for _, d := range got {
		summaries = append(summaries, d.Summary)
	}
	want := []string{SummaryUntrusted, SummaryUntrusted, SummaryUntrusted, SummaryUnusable, "3 more untrusted cache entries"}
	if !slices.Equal(summaries, want) {
		t.Fatalf("summaries %q, want %q", summaries, want)
	}
	if last := got[len(got)-1]; !strings.Contains(last.Detail, "load.s3, load.s4, load.s5 are not trusted") {
		t.Errorf("the last warning does not name the other steps: %s", last.Detail)
	}
	if few := CapUntrusted(diags[:3]); len(few) != 3 {
		t.Errorf("three warnings capped to %d", len(few))
	}
}
