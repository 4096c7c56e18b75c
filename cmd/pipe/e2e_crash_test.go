//go:build unix

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/store/gcstest"
	"github.com/pipe-ml/pipe/engine/tempfile"
	"github.com/pipe-ml/pipe/engine/workspace"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

// crashPipeline is a pipeline of the real kinds (load, train, evaluate,
// predict, publish) with one test transform whose sleep (not part of its
// cache key) gives a step that can be killed from outside while it runs.
const crashPipeline = `pipeline "crash" {}

variable "sleep" {
  type    = string
  default = "0s"
}

load "corpus" {
  path     = "data/corpus.csv"
  label    = "label"
  positive = "private"
  features = { prefix = "emb_", dim = 16 }
  id       = "id"
  split    = { test = 0.25, seed = 7, stratify = true }
}

transform "pause" {
  input = load.corpus.train
  sleep = var.sleep
}

train "model" {
  data   = load.corpus.train
  params = { C = 0.5 }
}

evaluate "holdout" {
  model = train.model.model
  data  = load.corpus.test
}

predict "holdout" {
  model = train.model.model
  data  = load.corpus.test
  to    = "out/predictions.csv"
}

publish "release" {
  model  = train.model.model
  report = evaluate.holdout.report
  to     = "models/crash"
  alias  = "champion"
}
`

// newCrashPipeline writes the crash pipeline and its data (the same bytes
// every time) to a new folder.
func newCrashPipeline(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte(crashPipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	writeCorpus(t, filepath.Join(dir, "data", "corpus.csv"), 1200, 16, 3, synth.Wide)
	return dir
}

// crashReference is what an uninterrupted apply of the crash pipeline
// produces.
type crashReference struct {
	artifacts map[string]string
	files     map[string][]byte // published and predicted files, by path
}

// crashFiles are the files the crash pipeline writes outside the store
// whose bytes do not depend on the run (lineage.json names the run, so it
// is left out).
var crashFiles = []string{"out/predictions.csv", "models/crash/v1/model.json", "models/crash/v1/report.json"}

func applyReference(t *testing.T) crashReference {
	t.Helper()
	dir := newCrashPipeline(t)
	env := childEnv(t)
	pipe(t, dir, env, "apply").expect(t, 0)
	ref := crashReference{artifacts: outputArtifacts(t, dir, env), files: map[string][]byte{}}
	for _, f := range crashFiles {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		ref.files[f] = b
	}
	return ref
}

// checkRecovered applies again after a crash and checks the outcome: the
// apply succeeds without finding anything unusable in the cache; the
// artifacts, the predictions file and the published version are those of
// an uninterrupted run; the store holds only objects named by their
// content; no run or execution is left running, the killed run (when it
// got as far as being recorded) is interrupted (or, when killed may have
// come after the end of the run was recorded, succeeded); one model
// version exists
// and its lineage reaches the input file; no temporary file is left in
// TMPDIR or the state folder.
//
// It returns what the apply printed.
func checkRecovered(t *testing.T, dir string, env []string, ref crashReference, lateKill bool) string {
	t.Helper()
	applied := pipe(t, dir, env, "apply", "-no-color").expect(t, 0)
	r := applied
	if strings.Contains(r.stdout+r.stderr, "Unusable cache entry") || strings.Contains(r.stdout+r.stderr, "corrupt") {
		t.Errorf("the apply after the crash found a damaged cache entry:\n%s\n%s", r.stdout, r.stderr)
	}
	got := outputArtifacts(t, dir, env)
	for k, want := range ref.artifacts {
		if got[k] != want {
			t.Errorf("%s is %q after the crash, %q in an uninterrupted run", k, got[k], want)
		}
	}
	if len(got) != len(ref.artifacts) {
		t.Errorf("%d outputs after the crash, %d in an uninterrupted run", len(got), len(ref.artifacts))
	}
	for f, want := range ref.files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || string(b) != string(want) {
			t.Errorf("%s differs from an uninterrupted run's (%v)", f, err)
		}
	}
	if extra, _ := filepath.Glob(filepath.Join(dir, "models", "crash", "v[2-9]*")); len(extra) > 0 {
		t.Errorf("the crash made a second version folder: %v", extra)
	}

	if n := checkStoreOf(t, dir, env); n == 0 {
		t.Error("the store holds no object")
	}
	checkRegistryIntegrity(t, filepath.Join(dir, ".pipe", "registry.db"))
	checkNoLitter(t, workspace.Getenv(env, "TMPDIR"), filepath.Join(dir, ".pipe"))
	runs := checkRunsEnded(t, dir, env)
	if len(runs) == 0 || runs[0].Status != registry.RunSucceeded {
		t.Fatalf("the last run did not succeed: %+v", runs)
	}
	for _, run := range runs[1:] {
		if run.Status != registry.RunInterrupted && !(lateKill && run.Status == registry.RunSucceeded) {
			t.Errorf("run %d, killed, is %q, want %q", run.ID, run.Status, registry.RunInterrupted)
		}
	}

	r = pipe(t, dir, env, "models", "show", "-json", "crash").expect(t, 0)
	var detail registry.ModelDetail
	if err := json.Unmarshal([]byte(r.stdout), &detail); err != nil {
		t.Fatalf("models show -json: %v\n%s", err, r.stdout)
	}
	if versions := detail.Versions; len(versions) != 1 || versions[0].ModelDigest != ref.artifacts["train.model.model"] {
		t.Errorf("model versions after the crash: %+v, want one of %s", versions, ref.artifacts["train.model.model"])
	}
	r = pipe(t, dir, env, "lineage", "crash@champion").expect(t, 0)
	if !strings.Contains(r.stdout, "data/corpus.csv") {
		t.Errorf("the champion's lineage does not reach data/corpus.csv:\n%s", r.stdout)
	}
	return applied.stdout
}

// checkNoLitter checks that the folders (TMPDIR, the state folder with a
// local store in it) hold no temporary file of pipe's: its own
// (pipe-tmp-*), older versions' spool and dataset copies, fileblob's
// KEY.<hex>.tmp.
func checkNoLitter(t *testing.T, dirs ...string) {
	t.Helper()
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			name := d.Name()
			if err == nil && path != dir && (strings.HasPrefix(name, tempfile.Prefix) || strings.HasPrefix(name, "pipe-spool-") ||
				strings.HasPrefix(name, "pipe-dataset-") || strings.HasSuffix(name, ".tmp")) {
				t.Errorf("temporary file left behind: %s", path)
			}
			return nil
		})
	}
}

// killedBySIGKILL reports whether the process died of SIGKILL.
func (p *proc) killedBySIGKILL() bool {
	<-p.done
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// TestCrashAtFailpoints kills pipe apply with SIGKILL at each failpoint
// (engine/internal/failpoint): while an artifact is spooled and while it
// is being uploaded, between a step's result and its cache entry, after
// the entry, inside registry transactions. After each, apply again must
// finish with what an uninterrupted run makes, and leave nothing bad.
func TestCrashAtFailpoints(t *testing.T) {
	ref := applyReference(t)
	points := []string{
		"registry.run.begun",
		"registry.execution.started:2",
		"store.put.spooled",      // the first artifact (load's), spooled only
		"store.put.spooled:5",    // a later one
		"store.blob.uncommitted", // the first object, not yet published
		"store.blob.uncommitted:4",
		"store.blob.uncommitted:9",
		"apply.step.ran", // outputs stored, no cache entry
		"apply.step.ran:4",
		"apply.entry.saved", // entry saved, no ref, execution running
		"apply.entry.saved:5",
		"registry.write.commit:2", // the run's own record, uncommitted
		"registry.write.commit:7",
		"registry.write.commit:15",
		"store.create.uncommitted",   // the first log entry written, not published
		"store.create.uncommitted:6", // a later one
		"registry.entry.appended",    // an entry in the log, not in the index
		"registry.entry.appended:4",
	}
	checkEveryFailpoint(t, points)
	if testing.Short() {
		points = []string{"store.blob.uncommitted:4", "apply.step.ran", "apply.entry.saved", "registry.write.commit:7"}
	}
	for _, fp := range points {
		t.Run(fp, func(t *testing.T) {
			t.Parallel()
			dir := newCrashPipeline(t)
			env := childEnv(t)
			p := startPipe(t, dir, append([]string{"PIPE_FAILPOINT=" + fp}, env...), "apply", "-no-color")
			res := p.wait(t)
			if !p.killedBySIGKILL() {
				t.Fatalf("apply was not killed at %s (exit %d): the failpoint was never reached\nstdout:\n%s\nstderr:\n%s", fp, res.code, res.stdout, res.stderr)
			}
			name, _, _ := strings.Cut(fp, ":")
			if !strings.Contains(res.stderr, "failpoint: "+name+" hit") {
				t.Fatalf("killed, but not by the failpoint:\n%s", res.stderr)
			}
			checkRecovered(t, dir, env, ref, false)
		})
	}
}

// checkStoreOf checks the objects of the store the pipeline in dir uses
// (PIPE_STORE in env, on GCS, or the default local one) and returns how
// many there are.
func checkStoreOf(t *testing.T, dir string, env []string) int {
	t.Helper()
	url := workspace.Getenv(env, "PIPE_STORE")
	if url == "" {
		n, _ := checkLocalStore(t, filepath.Join(dir, ".pipe", "store"))
		return n
	}
	bucket, prefix, _ := strings.Cut(strings.TrimPrefix(url, "gs://"), "/")
	b, err := blob.OpenBucket(context.Background(), "gs://"+bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if prefix != "" {
		prefix += "/"
	}
	return checkBucketObjects(t, b, prefix)
}

// checkEveryFailpoint checks that points names every failpoint the engine
// hits, so that a new one cannot go untested.
func checkEveryFailpoint(t *testing.T, points []string) {
	t.Helper()
	tested := map[string]bool{}
	for _, p := range points {
		name, _, _ := strings.Cut(p, ":")
		tested[name] = true
	}
	hit := regexp.MustCompile(`failpoint\.Hit\("([^"]+)"\)`)
	found := 0
	err := filepath.WalkDir(filepath.Join("..", "..", "engine"), func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == "failpoint":
			return fs.SkipDir // its documentation shows a call
		case d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go"):
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range hit.FindAllStringSubmatch(string(src), -1) {
			found++
			if !tested[m[1]] {
				t.Errorf("%s hits failpoint %s, which TestCrashAtFailpoints does not crash at", path, m[1])
			}
		}
		return nil
	})
	if err != nil || found == 0 {
		t.Fatalf("found %d failpoints in engine/: %v", found, err)
	}
}

// TestCrashOnGCS kills apply at failpoints of the store with the store on
// GCS (the emulator): while an object is spooled, while it is uploaded
// (the upload begun, not finalised), after a cache entry.
func TestCrashOnGCS(t *testing.T) {
	srv := gcstest.Start(t)
	ref := applyReference(t)
	points := []string{"store.put.spooled:3", "store.blob.uncommitted:2", "store.blob.uncommitted:7", "apply.entry.saved:2"}
	if testing.Short() {
		points = points[1:2]
	}
	for i, fp := range points {
		t.Run(fp, func(t *testing.T) {
			t.Parallel()
			dir := newCrashPipeline(t)
			env := childEnv(t, "STORAGE_EMULATOR_HOST="+srv.Host, fmt.Sprintf("PIPE_STORE=%s/crash%d", srv.URL(), i))
			p := startPipe(t, dir, append([]string{"PIPE_FAILPOINT=" + fp}, env...), "apply", "-no-color")
			res := p.wait(t)
			if !p.killedBySIGKILL() {
				t.Fatalf("apply was not killed at %s (exit %d)\nstdout:\n%s\nstderr:\n%s", fp, res.code, res.stdout, res.stderr)
			}
			checkRecovered(t, dir, env, ref, false)
		})
	}
}

// TestCrashMidUploadOnGCS kills apply after the first chunks of a large
// object went to GCS in a resumable upload that was never finalised: the
// object must not appear, and the next apply uploads it whole.
func TestCrashMidUploadOnGCS(t *testing.T) {
	srv := gcstest.Start(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte("pipeline \"big\" {}\n\nsource \"big\" {\n  path = \"big.txt\"\n}\n"), 0o644)
	// 24 MiB: more than the GCS client's 16 MiB upload chunk.
	var b strings.Builder
	for i := 0; b.Len() < 24<<20; i++ {
		fmt.Fprintf(&b, "line %08d of a file larger than one upload chunk\n", i)
	}
	os.WriteFile(filepath.Join(dir, "big.txt"), []byte(b.String()), 0o644)
	env := childEnv(t, "STORAGE_EMULATOR_HOST="+srv.Host, "PIPE_STORE="+srv.URL())

	p := startPipe(t, dir, append([]string{"PIPE_FAILPOINT=store.blob.uncommitted"}, env...), "apply", "-no-color")
	res := p.wait(t)
	if !p.killedBySIGKILL() {
		t.Fatalf("apply was not killed (exit %d)\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if n := checkStoreOf(t, dir, env); n != 0 {
		t.Errorf("%d objects in the bucket after the upload was killed, want none", n)
	}
	pipe(t, dir, env, "apply").expect(t, 0)
	if n := checkStoreOf(t, dir, env); n != 1 {
		t.Errorf("%d objects in the bucket, want 1", n)
	}
	checkRunsEnded(t, dir, env)
}

// TestCrashInsideAStep kills apply from outside while a step runs, then
// at moments spread over every step of the crash pipeline (see
// crashAtRandom), with the store in a local folder.
func TestCrashInsideAStep(t *testing.T) {
	ref := applyReference(t)

	t.Run("sleeping step", func(t *testing.T) {
		dir := newCrashPipeline(t)
		env := childEnv(t)
		p := startPipe(t, dir, env, "apply", "-no-color", "-parallelism=1", "-var", "sleep=1m")
		p.waitOutput(t, "transform.pause: running")
		p.kill(t)
		if !p.killedBySIGKILL() {
			t.Fatalf("not killed: %v", p.err)
		}
		out := checkRecovered(t, dir, env, ref, false)
		// The step killed while it ran ran again; the one before it did
		// not.
		if !strings.Contains(out, "load.corpus: cached") || !strings.Contains(out, "transform.pause: ran") {
			t.Errorf("the apply after the kill did not resume from the cache:\n%s", out)
		}
	})

	kills := crashKills(t)
	crashAtRandom(t, ref, (kills+1)/2, 1, func(t *testing.T, i int) []string { return childEnv(t) })
}

// TestCrashInsideAStepOnGCS is TestCrashInsideAStep's random kills with
// the store on GCS (the emulator): the other half of crashKills.
func TestCrashInsideAStepOnGCS(t *testing.T) {
	srv := gcstest.Start(t)
	ref := applyReference(t)
	crashAtRandom(t, ref, crashKills(t)/2, 2, func(t *testing.T, i int) []string {
		return childEnv(t, "STORAGE_EMULATOR_HOST="+srv.Host, fmt.Sprintf("PIPE_STORE=%s/kill%d", srv.URL(), i))
	})
}

// crashKills is how many times the crash tests kill apply at a random
// moment, on both stores together: PIPE_CRASH_KILLS when set (make crash
// sets 200), else 30 (make test), 4 with -short.
func crashKills(t *testing.T) int {
	t.Helper()
	if v := os.Getenv("PIPE_CRASH_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			t.Fatalf("PIPE_CRASH_KILLS=%q: want a count of kills, such as 200", v)
		}
		return n
	}
	if testing.Short() {
		return 4
	}
	return 30
}

// crashSteps are the steps of the crash pipeline, one of every kind it
// has (publish included), in the order they start.
var crashSteps = []string{"load.corpus", "transform.pause", "train.model", "evaluate.holdout", "predict.holdout", "publish.release"}

// crashAtRandom kills apply kills times, each in a new pipeline folder
// whose environment env gives, and checks each recovery (checkRecovered).
// Kill i aims at crashSteps[i%6]: it waits for the step to start, then
// for a delay drawn from a seeded source between zero and a little more
// than that step took in an uninterrupted apply on this store, measured
// first; so the kills land all over every step and just after it (in its
// outputs' upload, its cache entry, its registry writes), wherever this
// machine's speed puts them. Where each landed is logged, and a tally at
// the end.
func crashAtRandom(t *testing.T, ref crashReference, kills int, seed uint64, env func(t *testing.T, i int) []string) {
	took := stepDurations(t, env(t, -1))
	rng := rand.New(rand.NewPCG(2026, seed))
	var mu sync.Mutex
	landed := map[string]int{}
	t.Cleanup(func() {
		var b strings.Builder
		for _, k := range slices.Sorted(maps.Keys(landed)) {
			fmt.Fprintf(&b, "\n  %-34s %d", k, landed[k])
		}
		t.Logf("%d kills landed in:%s", kills, b.String())
	})
	for i := range kills {
		step := crashSteps[i%len(crashSteps)]
		delay := time.Duration(rng.Int64N(int64(took[step]*5/4) + int64(time.Millisecond)))
		t.Run(fmt.Sprintf("kill %d in %s", i, step), func(t *testing.T) {
			t.Parallel()
			dir, env := newCrashPipeline(t), env(t, i)
			p := startPipe(t, dir, env, "apply", "-no-color")
			if p.waitOutputOrEnd(step + ": running") {
				select {
				case <-p.done:
				case <-time.After(delay):
				}
			}
			at := "after the apply ended"
			select {
			case <-p.done:
			default:
				p.kill(t)
				at = killedIn(p.stdout.String())
			}
			t.Logf("killed %s after %s started: %s", delay, step, at)
			mu.Lock()
			landed[at]++
			mu.Unlock()
			checkRecovered(t, dir, env, ref, true)
		})
	}
}

// stepDurations applies the crash pipeline once in a new folder and
// returns how long each step took, as apply printed it.
func stepDurations(t *testing.T, env []string) map[string]time.Duration {
	t.Helper()
	r := pipe(t, newCrashPipeline(t), env, "apply", "-no-color").expect(t, 0)
	took := map[string]time.Duration{}
	for _, m := range regexp.MustCompile(`(?m)^(\S+): ran in (\S+)$`).FindAllStringSubmatch(r.stdout, -1) {
		if d, err := time.ParseDuration(m[2]); err == nil {
			took[m[1]] = d
		}
	}
	for _, s := range crashSteps {
		if _, ok := took[s]; !ok {
			t.Fatalf("no duration printed for %s:\n%s", s, r.stdout)
		}
	}
	return took
}

// killedIn says where apply was when killed, from what it had printed: the
// steps started and not finished, else between steps or after them.
func killedIn(out string) string {
	var running []string
	for _, s := range crashSteps {
		if strings.Contains(out, s+": running") && !regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(s)+`: (ran|failed)`).MatchString(out) {
			running = append(running, s)
		}
	}
	switch {
	case len(running) > 0:
		return "in " + strings.Join(running, " + ")
	case strings.Contains(out, "Apply complete"):
		return "after the last step, recording the run"
	case strings.Contains(out, "publish.release: ran"):
		return "after the last step"
	case !strings.Contains(out, ": running"):
		return "before the first step"
	}
	return "between steps"
}
