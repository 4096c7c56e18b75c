package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/store/gcstest"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

// dataPipeline loads a CSV file and runs every step that reads a
// dataset.
const dataPipeline = `pipeline "data" {}

load "corpus" {
  path     = "data/corpus.csv"
  label    = "label"
  positive = "private"
  features = { prefix = "emb_", dim = 16 }
  split    = { test = 0.25, seed = 1 }
}

search "lr" {
  data     = load.corpus.train
  strategy = "grid"
  folds    = 3
  space    = { C = [0.1, 1] }
}

train "m" {
  data   = load.corpus.train
  params = search.lr.best
}

evaluate "e" {
  model = train.m.model
  data  = load.corpus.test
}

predict "p" {
  model = train.m.model
  data  = load.corpus.test
  to    = "out/predictions.csv"
}
`

func newDataPipeline(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte(dataPipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	writeCorpus(t, filepath.Join(dir, "data", "corpus.csv"), 2000, 16, 21, synth.Wide)
	return dir
}

// objectPath is where a local store keeps the object with the digest.
func objectPath(dir, digest string) string {
	hex := strings.TrimPrefix(digest, "sha256:")
	return filepath.Join(dir, ".pipe", "store", "objects", "sha256", hex[:2], hex[2:])
}

// noTemporaryFiles checks that a folder holds no file pipe left.
func noTemporaryFiles(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasPrefix(d.Name(), "pipe-") || strings.HasSuffix(d.Name(), ".tmp")) {
			t.Errorf("temporary file left behind: %s", path)
		}
		return nil
	})
}

// TestCorruptDatasetInStore alters a dataset in the store behind pipe's
// back: one byte changed, the file cut short, bytes added at its end. The
// steps read it in place and its check runs beside them: the step fails,
// naming the object and what to do, and nothing it made is cached; the
// next apply makes the dataset again and ends as an untouched run does.
func TestCorruptDatasetInStore(t *testing.T) {
	for _, c := range []struct {
		name  string
		alter func([]byte) []byte
	}{
		{"altered", func(b []byte) []byte { b[len(b)/2] ^= 0x10; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }},
		{"extended", func(b []byte) []byte { return append(b, make([]byte, 64)...) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := newDataPipeline(t)
			tmp := t.TempDir()
			env := []string{"TMPDIR=" + tmp}
			pipe(t, dir, env, "apply", "-no-color").expect(t, 0)
			ref := outputArtifacts(t, dir, env)
			noTemporaryFiles(t, tmp)

			path := objectPath(dir, ref["load.corpus.train"])
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, c.alter(b), 0o644); err != nil {
				t.Fatal(err)
			}
			r := pipe(t, dir, env, "apply", "-no-color", "-replace=train.m").expect(t, 1)
			msg := oneLine(r.stderr)
			hex := strings.TrimPrefix(ref["load.corpus.train"], "sha256:")
			for _, want := range []string{"Corrupt artifact in the store", "train.m", hex[2:], "hashes to", "Apply again"} {
				if !strings.Contains(msg, want) {
					t.Errorf("the error does not say %q:\n%s", want, r.stderr)
				}
			}
			noTemporaryFiles(t, tmp)

			r = pipe(t, dir, env, "apply", "-no-color").expect(t, 0)
			if !strings.Contains(r.stdout, "load.corpus: ran") {
				t.Errorf("the load step did not make the quarantined dataset again:\n%s", r.stdout)
			}
			got := outputArtifacts(t, dir, env)
			for k, want := range ref {
				if got[k] != want {
					t.Errorf("%s is %s after the repair, %s before", k, got[k], want)
				}
			}
		})
	}
}

// TestNoTemporaryFilesAfterKill kills apply while it writes an artifact:
// nothing is left in TMPDIR or among the store's objects, since the store
// writes unnamed files, and the next apply completes.
func TestNoTemporaryFilesAfterKill(t *testing.T) {
	for _, fp := range []string{"store.put.spooled:2", "store.blob.uncommitted:3"} {
		t.Run(fp, func(t *testing.T) {
			dir := newDataPipeline(t)
			tmp := t.TempDir()
			env := []string{"TMPDIR=" + tmp}
			p := startPipe(t, dir, append([]string{"PIPE_FAILPOINT=" + fp}, env...), "apply", "-no-color")
			res := p.wait(t)
			if !p.killedBySIGKILL() {
				t.Fatalf("apply was not killed at %s (exit %d):\n%s", fp, res.code, res.stderr)
			}
			noTemporaryFiles(t, tmp)
			noTemporaryFiles(t, filepath.Join(dir, ".pipe", "store", "objects"))
			pipe(t, dir, env, "apply", "-no-color").expect(t, 0)
			noTemporaryFiles(t, tmp)
		})
	}
}

// TestObjectCacheOnGCS counts what pipe downloads from a GCS store (the
// emulator, behind a counting proxy): a machine that wrote the objects
// downloads none to read them back; a second machine downloads the
// dataset train reads once, and then no more for another run.
func TestObjectCacheOnGCS(t *testing.T) {
	srv := gcstest.Start(t)
	proxy := srv.Proxy(t)
	dir := newDataPipeline(t)
	env := childEnv(t, "STORAGE_EMULATOR_HOST="+proxy.Host, "PIPE_STORE="+srv.URL()+"/cached")
	objects := func() []string {
		var keys []string
		for _, d := range proxy.Downloads() {
			if strings.Contains(d.Path, "/objects/sha256/") {
				keys = append(keys, d.Path[strings.LastIndex(d.Path, "/objects/"):])
			}
		}
		return keys
	}
	pipe(t, dir, env, "apply", "-no-color").expect(t, 0)
	if got := objects(); len(got) != 0 {
		t.Errorf("the machine that wrote the objects downloaded %q to read them", got)
	}
	ref := outputArtifacts(t, dir, env)

	other := append(env, "PIPE_STATE_DIR="+t.TempDir())
	proxy.Reset()
	pipe(t, dir, other, "apply", "-no-color", "-replace=train.m").expect(t, 0)
	hex := strings.TrimPrefix(ref["load.corpus.train"], "sha256:")
	got := objects()
	if len(got) != 1 || !strings.HasSuffix(got[0], hex[:2]+"/"+hex[2:]) {
		t.Errorf("a new machine downloaded %q, want the training dataset once", got)
	}
	proxy.Reset()
	pipe(t, dir, other, "apply", "-no-color", "-replace=train.m").expect(t, 0)
	if got := objects(); len(got) != 0 {
		t.Errorf("a second run downloaded %q, want nothing", got)
	}
}
