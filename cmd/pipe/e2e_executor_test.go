package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/cachekey"
	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/stepinput"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/engine/store/gcstest"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

// remotePipeline is real kinds a worker can run: a search in shards, a
// train and an evaluate that read what the load (which reads a local
// file, so stays in the apply) stored.
const remotePipeline = `pipeline "remote" {}

load "corpus" {
  path     = "data/corpus.csv"
  label    = "label"
  positive = "private"
  features = { prefix = "emb_", dim = 16 }
  split    = { test = 0.25, seed = 7, stratify = true }
}

search "lr" {
  data  = load.corpus.train
  folds = 3
  space = { C = [0.1, 1, 10], penalty = ["l2", "l1"] }
  resources {
    shards = 3
  }
}

train "model" {
  data   = load.corpus.train
  params = search.lr.best
}

evaluate "holdout" {
  model = train.model.model
  data  = load.corpus.test
}
`

// newRemotePipeline writes the remote pipeline and its data (the same
// bytes every time) to a new folder.
func newRemotePipeline(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte(remotePipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	writeCorpus(t, filepath.Join(dir, "data", "corpus.csv"), 800, 16, 5, synth.Wide)
	return dir
}

// A step run by `pipe step exec` in another process (the process
// executor), from another state folder, has the same cache key and the
// same bytes as the step run in the apply's process, and each is the
// other's cache hit: on a local store and on GCS.
func TestStepExecSameBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("applies a search four times; skipped with -short")
	}
	for _, backend := range []string{"file", "gcs"} {
		t.Run(backend, func(t *testing.T) {
			env := childEnv(t)
			stores := [2]string{"file://" + t.TempDir(), "file://" + t.TempDir()}
			if backend == "gcs" {
				srv := gcstest.Start(t)
				env = childEnv(t, "STORAGE_EMULATOR_HOST="+srv.Host)
				stores = [2]string{srv.URL() + "/remote", srv.URL() + "/local"}
			}
			remote, local := newRemotePipeline(t), newRemotePipeline(t)
			r := pipe(t, remote, env, "apply", "-no-color", "-executor=process", "-store="+stores[0]).expect(t, 0)
			for _, want := range []string{"search.lr[2]: running on process", "train.model: running on process", "load.corpus: ran in"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("the remote apply does not say %q:\n%s", want, r.stdout)
				}
			}
			pipe(t, local, env, "apply", "-store="+stores[1]).expect(t, 0)
			got, want := outputArtifacts(t, remote, append(env, "PIPE_STORE="+stores[0])), outputArtifacts(t, local, append(env, "PIPE_STORE="+stores[1]))
			if len(want) < 8 {
				t.Fatalf("the local apply's outputs: %v", want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s is %q run by workers, %q in the process", k, got[k], v)
				}
			}
			// Each store serves the other way of running whole (from
			// folders of their own: a registry indexes one store's log).
			r = pipe(t, newRemotePipeline(t), env, "apply", "-no-color", "-store="+stores[0]).expect(t, 0)
			if !strings.Contains(r.stdout, "Apply complete: 0 ran, 4 cached") {
				t.Errorf("a local apply on the workers' store:\n%s", r.stdout)
			}
			r = pipe(t, newRemotePipeline(t), env, "apply", "-no-color", "-executor=process", "-store="+stores[1]).expect(t, 0)
			if !strings.Contains(r.stdout, "Apply complete: 0 ran, 4 cached") {
				t.Errorf("a remote apply on the local store:\n%s", r.stdout)
			}
			// Where each step ran is recorded.
			r = pipe(t, remote, env, "runs", "show", "1").expect(t, 0)
			if !strings.Contains(r.stdout, "ran on process") || strings.Count(r.stdout, "ran on process") != 3 {
				t.Errorf("runs show of the remote apply:\n%s", r.stdout)
			}
		})
	}
}

// stepInputDocs returns the step-input documents in a local store, by
// step.
func stepInputDocs(t *testing.T, storeDir string) map[string]*stepinput.Document {
	t.Helper()
	docs := map[string]*stepinput.Document{}
	walkStepInputs(storeDir, func(_ string, doc *stepinput.Document) { docs[doc.Step] = doc })
	return docs
}

// walkStepInputs calls fn with each step-input document in a local store
// and its digest.
func walkStepInputs(storeDir string, fn func(digest string, doc *stepinput.Document)) {
	filepath.WalkDir(filepath.Join(storeDir, "objects"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil && bytes.HasPrefix(b, []byte(`{"format":"`+stepinput.Format+`"`)) {
			var doc stepinput.Document
			if json.Unmarshal(b, &doc) == nil {
				sum := sha256.Sum256(b)
				fn("sha256:"+hex.EncodeToString(sum[:]), &doc)
			}
		}
		return nil
	})
}

// cacheEntries counts the entries of a local store.
func cacheEntries(t *testing.T, storeDir string) int {
	t.Helper()
	entries, _ := os.ReadDir(filepath.Join(storeDir, "cache"))
	return len(entries)
}

// The worker refuses what it cannot run, with the step, the reason and
// what to do, exit 5 and a termination message, and stores nothing; a
// step error exits 4 and reads as it does in an apply; a step already in
// the store exits 0 at once.
func TestStepExecBadInput(t *testing.T) {
	dir := copyDir(t, "testdata/pipelines/ok")
	env := childEnv(t)
	storeDir := t.TempDir()
	storeFlag := "-store=file://" + storeDir
	pipe(t, dir, env, "apply", "-executor=process", storeFlag).expect(t, 0)
	docs := stepInputDocs(t, storeDir)
	shout := docs["transform.shout"]
	if shout == nil || len(docs) != 3 {
		t.Fatalf("step-input documents: %v", docs)
	}
	s, err := store.Open(context.Background(), "file://"+storeDir, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	put := func(d *stepinput.Document) string {
		digest, err := stepinput.Put(context.Background(), s, d)
		if err != nil {
			t.Fatal(err)
		}
		return digest
	}
	entries := cacheEntries(t, storeDir)
	term := filepath.Join(t.TempDir(), "termination-log")
	exec := func(args ...string) (result, *executor.Termination) {
		os.Remove(term)
		r := pipe(t, dir, env, append([]string{"step", "exec", storeFlag, "-termination-log=" + term}, args...)...)
		msg, err := os.ReadFile(term)
		if err != nil {
			return r, nil
		}
		tm, err := executor.ParseTermination(msg)
		if err != nil {
			t.Fatal(err)
		}
		return r, tm
	}

	// Done already: exit 0 at once.
	r, _ := exec(put(shout))
	if r.expect(t, 0); !strings.Contains(r.stdout, "Already in the store (key "+shout.Key) {
		t.Errorf("a done step:\n%s", r.stdout)
	}

	other := *shout
	other.PipeVersion = "v0.0.1-elsewhere"
	// A value changed after the coordinator computed the key.
	tampered := *shout
	tampered.Config = maps.Clone(shout.Config)
	tampered.Config["factor"] = cachekey.Value{Type: json.RawMessage(`"number"`), Value: json.RawMessage(`3`)}
	for name, c := range map[string]struct {
		digest string
		want   string
	}{
		"another pipe version": {put(&other), "the coordinator is pipe v0.0.1-elsewhere and this worker pipe "},
		"tampered":             {put(&tampered), "does not match its content"},
		"missing":              {"sha256:" + strings.Repeat("ab", 32), "is not in the store"},
		"not a digest":         {"latest", "is not a digest"},
	} {
		r, tm := exec(c.digest)
		r.expect(t, executor.ExitRefused)
		if !strings.Contains(r.stderr, c.want) || tm == nil || !tm.Refused || !strings.Contains(tm.Message, c.want) {
			t.Errorf("%s: stderr %q, termination %+v", name, r.stderr, tm)
		}
	}
	if n := cacheEntries(t, storeDir); n != entries {
		t.Errorf("refused documents left %d cache entries", n-entries)
	}

	// No store: a usage error, exit 1, that says where to set one.
	r = pipe(t, dir, env, "step", "exec", put(shout))
	if r.expect(t, 1); !strings.Contains(r.stderr, "PIPE_STORE") {
		t.Errorf("no store:\n%s", r.stderr)
	}
}

// A step that fails by itself on a worker exits 4, its error in the
// termination message, and the apply prints the diagnostic a local
// failure prints.
func TestStepExecStepError(t *testing.T) {
	// With a team key, so that no note names the store, which differs.
	env := childEnv(t, "PIPE_KEY="+teamKey)
	var outputs [2]string
	for i, executorName := range []string{"local", "process"} {
		dir := copyDir(t, "testdata/pipelines/ok")
		editFile(t, filepath.Join(dir, "main.pipe.hcl"), `factor = var.factor`, `factor = var.factor
  fail   = true`)
		storeDir := t.TempDir()
		r := pipe(t, dir, env, "apply", "-no-color", "-executor="+executorName, "-store=file://"+storeDir).expect(t, 1)
		outputs[i] = r.stderr
		if executorName != "process" {
			continue
		}
		doc := stepInputDocs(t, storeDir)["transform.shout"]
		digest, _ := stepinput.Put(context.Background(), mustOpenStore(t, "file://"+storeDir, dir), doc)
		term := filepath.Join(t.TempDir(), "termination-log")
		r = pipe(t, dir, env, "step", "exec", "-store=file://"+storeDir, "-termination-log="+term, digest).expect(t, executor.ExitStepFailed)
		msg, _ := os.ReadFile(term)
		tm, err := executor.ParseTermination(msg)
		if err != nil || tm.Refused || tm.Step != "transform.shout" || !strings.Contains(tm.Message, "failing as asked") {
			t.Errorf("termination message %s: %v", msg, err)
		}
	}
	if outputs[0] != outputs[1] || !strings.Contains(outputs[0], "Step transform.shout failed") {
		t.Errorf("the diagnostics differ:\nlocal:\n%s\nprocess:\n%s", outputs[0], outputs[1])
	}
}

func mustOpenStore(t *testing.T, url, dir string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), url, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A step that holds a sensitive value stays in the apply whatever the
// pipeline's executor, and nothing in the store holds the value; naming
// a remote executor for it is an error at plan.
func TestSensitiveStepStaysHome(t *testing.T) {
	dir := copyDir(t, "testdata/pipelines/ok")
	path := filepath.Join(dir, "main.pipe.hcl")
	editFile(t, path, `combine "both" {`, `variable "token" {
  default   = "s3cr3t-t0ken-value"
  sensitive = true
}

combine "both" {
  params     = { token = var.token }`)
	env := childEnv(t)
	r := pipe(t, dir, env, "plan", "-no-color", "-executor=process").expect(t, 0)
	if !strings.Contains(r.stdout, "combine.both       run (known after apply) on local (holds a sensitive value)") || !strings.Contains(r.stdout, "transform.shout    run (known after apply) on process") {
		t.Errorf("plan:\n%s", r.stdout)
	}
	pipe(t, dir, env, "apply", "-executor=process").expect(t, 0)
	filepath.WalkDir(filepath.Join(dir, ".pipe", "store"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte("s3cr3t-t0ken-value")) {
				t.Errorf("%s holds the sensitive value", p)
			}
		}
		return nil
	})
	editFile(t, path, `params     = { token = var.token }`, `params     = { token = var.token }
  resources { executor = "process" }`)
	r = pipe(t, dir, env, "plan", "-no-color").expect(t, 1)
	if !strings.Contains(r.stderr, "Step cannot leave the coordinator") || !strings.Contains(strings.Join(strings.Fields(r.stderr), " "), "holds a sensitive value") {
		t.Errorf("plan of a sensitive step sent to the process executor:\n%s", r.stderr)
	}
	for _, args := range [][]string{{"plan", "-executor=kubernets"}, {"apply", "-executor=k8s"}} {
		r = pipe(t, dir, env, args...).expect(t, 1)
		if !strings.Contains(r.stderr, "Unknown executor") || !strings.Contains(r.stderr, "local, process, kubernetes") {
			t.Errorf("pipe %s:\n%s", strings.Join(args, " "), r.stderr)
		}
	}
}
