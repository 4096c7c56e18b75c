package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/gcsblob" // gs:// through the emulator

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/store/gcstest"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

// openBucket opens the emulator's bucket the way pipe does (gocloud's
// gcsblob, STORAGE_EMULATOR_HOST set by gcstest.Start).
func openBucket(t *testing.T, srv *gcstest.Server) *blob.Bucket {
	t.Helper()
	b, err := blob.OpenBucket(context.Background(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// fileDigest is the sha256:HEX digest of a local file.
func fileDigest(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// checkPublishedOnGCS checks that the champion of model name was
// published under prefix in the bucket with the bytes whose digests the
// registry records, and that its lineage reaches the input file (with
// its digest).
// Every object of the store, under storePrefix in the bucket, must be
// named by its digest.
func checkPublishedOnGCS(t *testing.T, srv *gcstest.Server, dir string, env []string, name, prefix, input, storePrefix string) {
	t.Helper()
	r := pipe(t, dir, env, "models", "show", "-json", name).expect(t, 0)
	var detail registry.ModelDetail
	if err := json.Unmarshal([]byte(r.stdout), &detail); err != nil {
		t.Fatalf("models show -json: %v\n%s", err, r.stdout)
	}
	if len(detail.Versions) != 1 {
		t.Fatalf("%d versions of %s, want 1: %+v", len(detail.Versions), name, detail.Versions)
	}
	v := detail.Versions[0]
	if want := srv.URL() + "/" + prefix + "/v1/"; v.URI != want {
		t.Errorf("version 1 is at %s, want %s", v.URI, want)
	}
	b := openBucket(t, srv)
	for file, digest := range map[string]string{"model.json": v.ModelDigest, "report.json": v.ReportDigest} {
		data, err := b.ReadAll(context.Background(), prefix+"/v1/"+file)
		if err != nil {
			t.Errorf("the published %s: %v", file, err)
			continue
		}
		sum := sha256.Sum256(data)
		if got := "sha256:" + hex.EncodeToString(sum[:]); got != digest {
			t.Errorf("%s/v1/%s in the bucket hashes to %s; the registry records %s", prefix, file, got, digest)
		}
	}
	if ok, err := b.Exists(context.Background(), prefix+"/v1/lineage.json"); err != nil || !ok {
		t.Errorf("no lineage.json in the published version: %v", err)
	}

	// -v: whole digests (the tree cuts them to 12 hex digits).
	r = pipe(t, dir, env, "lineage", "-v", name+"@champion").expect(t, 0)
	if !strings.Contains(r.stdout, "used path: "+input) || !strings.Contains(r.stdout, fileDigest(t, filepath.Join(dir, input))) {
		t.Errorf("the lineage of %s@champion does not reach %s with its digest:\n%s", name, input, r.stdout)
	}
	if n := checkBucketObjects(t, b, storePrefix); n == 0 {
		t.Error("the store in the bucket holds no object")
	}
}

// TestGCSEndToEnd applies the crash pipeline (load, train, evaluate,
// predict, publish) with its store, its predictions and its published
// models in a bucket of the GCS emulator.
func TestGCSEndToEnd(t *testing.T) {
	srv := gcstest.Start(t)
	dir := newCrashPipeline(t)
	editFile(t, filepath.Join(dir, "main.pipe.hcl"), `to     = "models/crash"`, `to     = "`+srv.URL()+`/models/crash"`)
	editFile(t, filepath.Join(dir, "main.pipe.hcl"), `to    = "out/predictions.csv"`, `to    = "`+srv.URL()+`/out/predictions.csv"`)
	env := childEnv(t, "STORAGE_EMULATOR_HOST="+srv.Host)

	pipe(t, dir, env, "apply", "-store", srv.URL()).expect(t, 0)
	if _, err := os.Stat(filepath.Join(dir, ".pipe", "store")); err == nil {
		t.Error("a local store was made beside the gs:// one")
	}
	checkPublishedOnGCS(t, srv, dir, env, "crash", "models/crash", "data/corpus.csv", "")
	if ok, err := openBucket(t, srv).Exists(context.Background(), "out/predictions.csv"); err != nil || !ok {
		t.Errorf("no predictions in the bucket: %v", err)
	}

	// PIPE_STORE says the same as -store; everything is cached.
	r := pipe(t, dir, append(env, "PIPE_STORE="+srv.URL()), "apply").expect(t, 0)
	if !strings.Contains(r.stdout, "Apply complete: 0 ran, 6 cached") {
		t.Errorf("second apply on the bucket:\n%s", r.stdout)
	}
}

// TestGCSQuickstart runs the example pipeline (examples/quickstart) with
// its store under a prefix of the emulator's bucket and its model
// published to the bucket. The first apply is killed (SIGKILL) while the
// search runs; the next resumes from the cache and publishes. The
// published files hash to the digests the registry records, the
// champion's lineage reaches the input file, and every store object in
// the bucket hashes to its name. (That a killed and resumed apply makes
// the artifacts of an uninterrupted one is e2e_crash_test.go's business.)
func TestGCSQuickstart(t *testing.T) {
	if testing.Short() {
		t.Skip("the quickstart's search takes seconds; skipped with -short")
	}
	srv := gcstest.Start(t)
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "examples", "quickstart", "quickstart.pipe.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "quickstart.pipe.hcl")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	editFile(t, path, `to         = "models/privacy-intent"`, `to         = "`+srv.URL()+`/models/privacy-intent"`)
	editFile(t, path, `to    = "out/predictions.parquet"`, `to    = "`+srv.URL()+`/out/predictions.parquet"`)
	// The data make demo generates: pipe-gendata -rows 5000.
	d := synth.Generate(synth.Config{N: 5000, Seed: 1})
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	if err := synth.WriteFile(filepath.Join(dir, "data", "corpus.parquet"), d.Dataset, synth.FileOptions{}); err != nil {
		t.Fatal(err)
	}
	storeURL := srv.URL() + "/store"
	env := childEnv(t, "STORAGE_EMULATOR_HOST="+srv.Host, "PIPE_STORE="+storeURL)

	p := startPipe(t, dir, env, "apply", "-no-color")
	p.waitOutput(t, "search.lr: running")
	p.kill(t)
	r := pipe(t, dir, env, "apply", "-no-color").expect(t, 0)
	for _, want := range []string{"load.corpus: cached", "search.lr: ran", "publish.release: ran"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the apply after the kill does not say %q:\n%s", want, r.stdout)
		}
	}
	checkPublishedOnGCS(t, srv, dir, env, "privacy-intent", "models/privacy-intent", "data/corpus.parquet", "store/")
	runs := checkRunsEnded(t, dir, env)
	if len(runs) != 2 || runs[0].Status != registry.RunSucceeded || runs[1].Status != registry.RunInterrupted {
		t.Errorf("runs: %+v, want the killed one interrupted and the next succeeded", runs)
	}
	// The cache on GCS serves the next apply whole.
	r = pipe(t, dir, env, "apply", "-no-color").expect(t, 0)
	if !strings.Contains(r.stdout, "Apply complete: 0 ran, 6 cached") {
		t.Errorf("apply after the one that resumed:\n%s", r.stdout)
	}
}

// outagePipeline loads a file, then pauses in a step that reads what load
// stored, then one more step.
const outagePipeline = `pipeline "outage" {}

variable "sleep" {
  type    = string
  default = "0s"
}

load "corpus" {
  path     = "data/corpus.csv"
  label    = "label"
  positive = "private"
  features = { prefix = "emb_", dim = 16 }
}

transform "pause" {
  input = load.corpus.data
  sleep = var.sleep
}

transform "after" {
  input = transform.pause.out
  mode  = "lower"
}
`

// TestGCSStoreOutage stops the emulator while a step sleeps: the step's
// next request to the store fails after the store's bounded retries,
// with an error that names the store, the operation and the attempts,
// and apply exits 1 (the registry, whose log is in the store too, gives
// up at once after its first failed write).
// While the store stays down, plan says so too. Once it is back, apply
// resumes: what finished before the outage is cached.
func TestGCSStoreOutage(t *testing.T) {
	srv := gcstest.Start(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte(outagePipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	writeCorpus(t, filepath.Join(dir, "data", "corpus.csv"), 300, 16, 5, synth.Wide)
	env := childEnv(t, "STORAGE_EMULATOR_HOST="+srv.Host, "PIPE_STORE="+srv.URL())

	p := startPipe(t, dir, env, "apply", "-no-color", "-var", "sleep=3s")
	p.waitOutput(t, "transform.pause: running")
	// Usually the step is asleep by now. Its read after the sleep comes
	// from the local object cache (load wrote the object on this
	// machine), so what fails is its write (the stat before an upload);
	// if it was not asleep yet, its cache lookup fails instead.
	time.Sleep(200 * time.Millisecond)
	srv.Stop()
	stopped := time.Now()
	r := p.wait(t).expect(t, 1)
	t.Logf("apply gave up %s after the store went away", time.Since(stopped).Round(time.Millisecond))
	msg := oneLine(r.stderr)
	for _, want := range []string{"main.pipe.hcl line 15", "transform.pause", "store: " + srv.URL() + ": ", "gave up after 5 attempts"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not say %q:\n%s", want, r.stderr)
		}
	}
	// The step's read failed, or (rarely) its cache lookup did.
	if !strings.Contains(msg, "Step transform.pause failed") && !strings.Contains(msg, "Store unavailable") {
		t.Errorf("the error says neither that the step failed nor that the store is unavailable:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, "load.corpus: ran") || !strings.Contains(r.stdout, "transform.after: skipped") {
		t.Errorf("apply during the outage:\n%s", r.stdout)
	}

	if !testing.Short() {
		r = pipe(t, dir, env, "plan", "-no-color").expect(t, 1)
		msg = oneLine(r.stderr)
		for _, want := range []string{"Store unavailable", "store: " + srv.URL() + ": reading", "gave up after 5 attempts", "PIPE_STORE"} {
			if !strings.Contains(msg, want) {
				t.Errorf("plan with the store down does not say %q:\n%s", want, r.stderr)
			}
		}
	}

	srv.Restart()
	r = pipe(t, dir, env, "apply", "-no-color").expect(t, 0)
	for _, want := range []string{"load.corpus: cached", "transform.pause: ran", "transform.after: ran", "Apply complete: 2 ran, 1 cached"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("apply after the outage does not say %q:\n%s", want, r.stdout)
		}
	}
	checkBucketObjects(t, openBucket(t, srv), "")
	// The registry's log is in the store too: the run that lost its store
	// could not record its end, and the next run from the folder marked
	// it interrupted.
	runs := checkRunsEnded(t, dir, env)
	if len(runs) != 2 || runs[0].Status != registry.RunSucceeded || runs[1].Status != registry.RunInterrupted {
		t.Errorf("runs: %+v, want the one that lost the store interrupted and the one that resumed", runs)
	}
}
