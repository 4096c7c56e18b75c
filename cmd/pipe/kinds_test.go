package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKinds(t *testing.T) {
	r := pipe(t, ".", nil, "kinds").expect(t, 0)
	for _, want := range []string{"load (load/2)", "search (search/2)", "publish (publish/1)", "Kinds of artifact",
		"folds        number, default 5, a whole number from 2 to 255", "application/vnd.apache.arrow.file"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("pipe kinds lacks %q:\n%s", want, r.stdout)
		}
	}
	r = pipe(t, ".", nil, "kinds", "train").expect(t, 0)
	if !strings.HasPrefix(r.stdout, "train (train/3)") || strings.Contains(r.stdout, "load (load/2)") ||
		!strings.Contains(r.stdout, "model        application/vnd.pipe.model.v1+json") {
		t.Errorf("pipe kinds train:\n%s", r.stdout)
	}
	if r := pipe(t, ".", nil, "kinds", "-h").expect(t, 0); !strings.HasPrefix(r.stdout, "Usage: pipe kinds") || !strings.Contains(r.stdout, "Examples:") {
		t.Errorf("usage:\n%s", r.stdout)
	}
	r = pipe(t, ".", nil, "kinds", "lod").expect(t, 1)
	if !strings.Contains(r.stderr, `there is no step kind "lod"`) || !strings.Contains(r.stderr, "Try: one of combine, evaluate, export, fakemodel, load,") {
		t.Errorf("unknown kind:\n%s", r.stderr)
	}
	pipe(t, ".", nil, "kinds", "-json", "-markdown").expect(t, 1)
	pipe(t, ".", nil, "kinds", "load", "train").expect(t, 1)

	// The test kind tally, with a kind of artifact of its own, is
	// documented from its schema alone.
	r = pipe(t, ".", nil, "kinds", "-json", "tally").expect(t, 0)
	var doc struct {
		Kinds []struct {
			Name    string
			Outputs []struct {
				Name  string
				Media []struct{ Label string }
			}
		}
		Media []struct {
			Label     string
			Producers []string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	if len(doc.Kinds) != 1 || doc.Kinds[0].Name != "tally" || doc.Kinds[0].Outputs[0].Media[0].Label != "counts" {
		t.Errorf("kinds -json tally:\n%s", r.stdout)
	}
	if len(doc.Media) != 1 || doc.Media[0].Label != "counts" || strings.Join(doc.Media[0].Producers, ",") != "tally.NAME.counts" {
		t.Errorf("kinds of artifact of tally: %+v", doc.Media)
	}
}

// The engine refuses another artifact where tally's counts are expected,
// naming the step that makes them: at apply time while the artifact is
// not known yet, at plan time once it is.
func TestANewKindOfArtifactIsTypeChecked(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	os.WriteFile(filepath.Join(dir, "data", "a.txt"), []byte("x\ny\nx\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte(`source "text" {
  path = "data/*.txt"
}

tally "lines" {
  input = source.text.data
}

tally "more" {
  input = source.text.data
  add   = source.text.data
}
`), 0o644)
	want := "add is an artifact of type text/plain, not a counts artifact (application/vnd.pipe.test.counts+json). Give the counts output of a tally step, e.g. tally.NAME.counts."
	r := pipe(t, dir, nil, "apply", "-no-color").expect(t, 1)
	if !strings.Contains(oneLine(r.stderr), want) || !strings.Contains(r.stderr, "Wrong kind of artifact") {
		t.Errorf("apply:\n%s", r.stderr)
	}
	r = pipe(t, dir, nil, "plan", "-no-color").expect(t, 1)
	if !strings.Contains(oneLine(r.stderr), want) || !strings.Contains(r.stderr, `on main.pipe.hcl line 11, in tally "more"`) {
		t.Errorf("plan:\n%s", r.stderr)
	}
}
