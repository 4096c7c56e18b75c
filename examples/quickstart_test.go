package examples

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestQuickstart runs the example as the README tells a newcomer to: apply
// it, apply it again (nothing runs), change one parameter (exactly the
// steps it affects run), and find the model, the report and the lineage.
func TestQuickstart(t *testing.T) {
	dir := quickstart(t)
	r := run(t, dir, nil, "apply").want(t, 0)
	for _, step := range []string{"load.corpus", "search.lr", "train.model", "evaluate.holdout", "predict.holdout", "publish.release"} {
		if !strings.Contains(r.stdout, step+": ran in") {
			t.Errorf("%s did not run:\n%s", step, r.stdout)
		}
	}
	r = run(t, dir, nil, "plan").want(t, 0)
	if !strings.Contains(r.stdout, "Plan: 0 to run, 6 cached.") {
		t.Errorf("second plan:\n%s", r.stdout)
	}

	// The walkthrough: more folds in the search re-runs the search and what
	// follows it, not the load.
	b, _ := os.ReadFile(filepath.Join(dir, "quickstart.pipe.hcl"))
	os.WriteFile(filepath.Join(dir, "quickstart.pipe.hcl"), []byte(strings.Replace(string(b), "folds    = 5", "folds    = 4", 1)), 0o644)
	r = run(t, dir, nil, "plan").want(t, 0)
	if !strings.Contains(r.stdout, "folds: 5 → 4") || !strings.Contains(r.stdout, "  load.corpus") {
		t.Errorf("plan after the edit:\n%s", r.stdout)
	}
	r = run(t, dir, nil, "apply").want(t, 0)
	if strings.Contains(r.stdout, "load.corpus: ran") || !strings.Contains(r.stdout, "search.lr: ran") {
		t.Errorf("apply after the edit:\n%s", r.stdout)
	}

	// Metrics, model and lineage.
	r = run(t, dir, nil, "output", "evaluate.holdout.f1").want(t, 0)
	if !regexp.MustCompile(`^0\.[6-9]\d*\n$`).MatchString(r.stdout) {
		t.Errorf("holdout f1 %q", r.stdout)
	}
	r = run(t, dir, nil, "models", "show", "privacy-intent").want(t, 0)
	if !strings.Contains(r.stdout, "champion") || !strings.HasPrefix(r.stdout, "Model privacy-intent: 1 version, ") {
		t.Errorf("models show:\n%s", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "models", "privacy-intent", "v1", "model.json")); err != nil {
		t.Errorf("published model: %v", err)
	}
	// The tree: steps, short digests and the params the search chose in
	// a few words.
	r = run(t, dir, nil, "lineage", "privacy-intent@champion").want(t, 0)
	if !regexp.MustCompile(`input search\.lr\.best from: search\.lr \(search/2\) ran in run 1\n[^\n]*outputs: best=\{C=[^\n]*penalty=[^\n]*\n[^\n]*produced trials: sha256:[0-9a-f]{12} \(trials, `).MatchString(r.stdout) || strings.Contains(r.stdout, "config: ") {
		t.Errorf("lineage's tree does not show the search's chosen params and trials in short:\n%s", r.stdout)
	}
	// -v: the configurations and outputs in full.
	r = run(t, dir, nil, "lineage", "-v", "privacy-intent@champion").want(t, 0)
	if !strings.Contains(r.stdout, "used path: data/corpus.parquet sha256:") {
		t.Errorf("lineage does not reach the input file:\n%s", r.stdout)
	}
	// The search that chose the params: the params, and its trials table.
	if !regexp.MustCompile(`input search\.lr\.best from: search\.lr \(search/2\) ran[^\n]*\n[^\n]*config: [^\n]*\n[^\n]*outputs: \{"best":\{"C":[^\n]*\n[^\n]*produced trials: sha256:[0-9a-f]{12} \(trials, `).MatchString(r.stdout) {
		t.Errorf("lineage does not show the search's chosen params and trials:\n%s", r.stdout)
	}
}
