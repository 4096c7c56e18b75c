package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/signing"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

// sensitivePipeline publishes under a sensitive name, predicts into a
// folder a sensitive value names, and gates the publish on a sensitive
// threshold.
const sensitivePipeline = `pipeline "secretive" {}

variable "model_name" {
  type      = string
  sensitive = true
}

variable "pred_dir" {
  type      = string
  sensitive = true
}

variable "min_f1" {
  type      = number
  sensitive = true
}

load "corpus" {
  path     = "data/corpus.csv"
  label    = "label"
  positive = "private"
  features = { prefix = "emb_", dim = 16 }
  split    = { test = 0.2, seed = 7, stratify = true }
}

train "model" {
  data   = load.corpus.train
  params = { C = 1.0 }
}

evaluate "holdout" {
  model = train.model.model
  data  = load.corpus.test
}

predict "holdout" {
  model = train.model.model
  data  = load.corpus.test
  to    = "${var.pred_dir}/predictions.parquet"
}

publish "release" {
  model   = train.model.model
  report  = evaluate.holdout.report
  to      = "models/release"
  name    = var.model_name
  require = evaluate.holdout.f1 >= var.min_f1
  alias   = "champion"
}
`

// TestSensitiveValuesStayOut (issue 20 point 2) applies a pipeline with
// sensitive values in publish's name, predict's to and a require
// threshold, through the binary, and searches every place pipe writes or
// answers for their bytes and for the SHA-256 of their JSON: apply -json,
// apply, plan, a saved plan and show, pipe output, pipe models, every
// file of the state folder (the store with its cache entries and
// registry log, registry.db), the published folder (lineage.json), and
// a real pipe serve's API and /metrics. The model is recorded under its
// keyed name, which another team key changes, and pipe models finds it
// by its clear name.
func TestSensitiveValuesStayOut(t *testing.T) {
	const keyA, keyB = "team-key-a-0123456789abcdef0123456789", "team-key-b-0123456789abcdef0123456789"
	secrets := map[string]string{ // value → its JSON
		"zebracorn-model": `"zebracorn-model"`,
		"mangoberry-3141": `"mangoberry-3141"`,
		"0.31415926":      `0.31415926`,
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte(sensitivePipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	writeCorpus(t, filepath.Join(dir, "data", "corpus.csv"), 400, 16, 5, synth.Wide)
	vars := []string{"PIPE_VAR_model_name=zebracorn-model", "PIPE_VAR_pred_dir=mangoberry-3141", "PIPE_VAR_min_f1=0.31415926"}
	env := childEnv(t, append([]string{"PIPE_KEY=" + keyA}, vars...)...)

	var said strings.Builder
	keep := func(what string, r result) result {
		said.WriteString("== " + what + "\n" + r.stdout + r.stderr)
		return r
	}
	keep("apply -json", pipe(t, dir, env, "apply", "-json").expect(t, 0))
	again := keep("apply", pipe(t, dir, env, "apply", "-no-color").expect(t, 0))
	if !strings.Contains(again.stdout, "0 ran, 5 cached") {
		t.Errorf("the second apply did not take every step from the cache (sealed entries):\n%s", again.stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "mangoberry-3141", "predictions.parquet")); err != nil {
		t.Errorf("predict did not write where the sensitive value says: %v", err)
	}
	keep("plan -out", pipe(t, dir, env, "plan", "-no-color", "-out=a.plan").expect(t, 0))
	keep("show", pipe(t, dir, env, "show", "-no-color", "a.plan").expect(t, 0))
	keep("show -json", pipe(t, dir, env, "show", "-json", "a.plan").expect(t, 0))
	keep("show -markdown", pipe(t, dir, env, "show", "-markdown", "a.plan").expect(t, 0))
	out := keep("output", pipe(t, dir, env, "output", "-no-color").expect(t, 0))
	if !strings.Contains(out.stdout, "(sensitive value)") {
		t.Errorf("pipe output shows no sensitive value:\n%s", out.stdout)
	}
	keep("output -json", pipe(t, dir, env, "output", "-json").expect(t, 0))
	keep("output name", pipe(t, dir, env, "output", "publish.release.name").expect(t, 0))
	keep("output uri", pipe(t, dir, env, "output", "predict.holdout.uri").expect(t, 0))

	a, _ := signing.New([]byte(keyA), "test", true)
	b, _ := signing.New([]byte(keyB), "test", true)
	name := registry.SensitiveName(a, "zebracorn-model")
	models := keep("models", pipe(t, dir, env, "models", "-no-color").expect(t, 0))
	if !strings.Contains(models.stdout, name) {
		t.Errorf("pipe models does not list the model as %s:\n%s", name, models.stdout)
	}
	if name == registry.SensitiveName(b, "zebracorn-model") {
		t.Error("the keyed name is the same under another key")
	}
	shown := keep("models show", pipe(t, dir, env, "models", "show", "-no-color", "zebracorn-model").expect(t, 0))
	if !strings.Contains(shown.stdout, name) {
		t.Errorf("pipe models show with the clear name:\n%s", shown.stdout)
	}
	keep("runs show", pipe(t, dir, env, "runs", "show", "-json", "1").expect(t, 0))

	p := startServe(t, dir, env, "-watch=false", "-addr=127.0.0.1:0", ".")
	for _, path := range []string{"/api/runs", "/api/runs/1", "/api/runs/2", "/api/models", "/api/models/" + name, "/api/lineage?ref=" + name + "@champion", "/metrics", "/"} {
		code, body := p.get(path)
		if code != 200 {
			t.Errorf("GET %s: %d %s", path, code, body)
		}
		said.WriteString("== GET " + path + "\n" + body)
	}
	if _, body := p.get("/metrics"); !strings.Contains(body, `model="`+name+`"`) {
		t.Errorf("/metrics has no series of the model under its keyed name:\n%s", body)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.exit()

	// Another team key: the saved plan's keyed hashes differ (and the
	// entries, signed with the first key, are not trusted: every step
	// runs).
	envB := childEnv(t, append([]string{"PIPE_KEY=" + keyB}, vars...)...)
	planB := keep("plan under another key", pipe(t, dir, envB, "plan", "-no-color", "-out=b.plan").expect(t, 0))
	for _, want := range []string{"publish.release", "predict.holdout", "5 to run"} {
		if !strings.Contains(planB.stdout, want) {
			t.Errorf("the plan under another key does not say %q:\n%s", want, planB.stdout)
		}
	}
	if ha, hb := savedHash(t, filepath.Join(dir, "a.plan"), "min_f1"), savedHash(t, filepath.Join(dir, "b.plan"), "min_f1"); ha == "" || ha == hb {
		t.Errorf("min_f1's keyed hash under two keys: %q and %q", ha, hb)
	}

	files := map[string][]byte{"what pipe said": []byte(said.String())}
	for _, root := range []string{".pipe", "models", "mangoberry-3141", "a.plan", "b.plan"} {
		filepath.WalkDir(filepath.Join(dir, root), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Errorf("%s: %v", path, err)
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			if b, err := os.ReadFile(path); err == nil {
				rel, _ := filepath.Rel(dir, path)
				files[rel] = b
			}
			return nil
		})
	}
	if _, ok := files[filepath.Join(".pipe", "registry.db")]; !ok {
		t.Fatal("no registry.db to search")
	}
	for value, js := range secrets {
		sum := sha256.Sum256([]byte(js))
		unkeyed := hex.EncodeToString(sum[:])
		for file, b := range files {
			if strings.Contains(string(b), value) {
				t.Errorf("%s holds the sensitive value %s", file, value)
			}
			if strings.Contains(string(b), unkeyed) {
				t.Errorf("%s holds the SHA-256 of %s", file, js)
			}
		}
	}
	if n := len(files); n < 20 {
		t.Errorf("searched only %d files", n)
	}
}

// savedHash returns the keyed hash a saved plan holds for a variable.
func savedHash(t *testing.T, path, name string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Saved struct {
			Variables map[string]struct {
				SensitiveHMAC string `json:"sensitive_hmac"`
			} `json:"variables"`
		} `json:"saved"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Saved.Variables[name].SensitiveHMAC
}
