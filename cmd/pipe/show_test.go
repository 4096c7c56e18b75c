package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/plan"
)

// A saved plan shown for people, for programs and as a pull-request
// comment; pipe plan -markdown prints the same comment without the line
// about the saved file.
func TestShowPlan(t *testing.T) {
	dir := copyDir(t, "testdata/pipelines/ok")
	pipe(t, dir, nil, "apply").expect(t, 0)
	// Change an attribute to a value full of Markdown (a glob with * and
	// _), and a variable.
	os.WriteFile(filepath.Join(dir, "data", "x_a_1.txt"), []byte("x\n"), 0o644)
	editFile(t, filepath.Join(dir, "main.pipe.hcl"), `path = "data/*.txt"`, `path = "data/*_a*.txt"`)
	planFile := filepath.Join(t.TempDir(), "pr.plan")
	r := pipe(t, dir, nil, "plan", "-detailed-exitcode", "-var", "factor=3", "-out="+planFile).expect(t, 2)
	human := r.stdout[:strings.LastIndex(r.stdout, "\nSaved the plan to "+planFile)]

	r = pipe(t, dir, nil, "show", "-markdown", planFile).expect(t, 0)
	md := regexp.MustCompile(`Planned \d{4}-\d\d-\d\d \d\d:\d\d \S+ against (.*) by pipe \S+\.`).ReplaceAllString(r.stdout, "Planned TIME against $1 by pipe VERSION.")
	md = digestRE.ReplaceAllString(md, "sha256:DIGEST")
	golden(t, "show_markdown.md", mask(md, dir, false))
	for _, want := range []string{
		"**Plan: 4 to run, 0 cached.**",
		"| `source.corpus` | run | path: \"data/\\*.txt\" → \"data/\\*\\_a\\*.txt\"<br>",
		"factor: 2 → 3",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show -markdown lacks %q:\n%s", want, r.stdout)
		}
	}
	footer := regexp.MustCompile("\nPlan digest: (?s:.*)<sub>Planned [^\n]*</sub>\n$")
	if !footer.MatchString(r.stdout) {
		t.Errorf("show -markdown does not say what the plan was made from:\n%s", r.stdout)
	}
	r2 := pipe(t, dir, nil, "plan", "-markdown", "-var", "factor=3").expect(t, 0)
	if want := footer.ReplaceAllString(r.stdout, ""); r2.stdout != want {
		t.Errorf("plan -markdown differs from show -markdown:\n--- plan\n%s\n--- show\n%s", r2.stdout, want)
	}

	// For people: what plan printed.
	r = pipe(t, dir, nil, "show", planFile).expect(t, 0)
	if r.stdout != human {
		t.Errorf("show differs from what plan printed:\n--- show\n%s\n--- plan\n%s", r.stdout, human)
	}
	// For programs: the plan document, with what it was made from.
	r = pipe(t, dir, nil, "show", "-json", planFile).expect(t, 0)
	var doc plan.Document
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("show -json: %v\n%s", err, r.stdout)
	}
	if doc.Summary.Run != 4 || doc.Saved == nil || doc.Saved.Store == "" || len(doc.Steps) != 4 {
		t.Errorf("show -json: %+v", doc)
	}

	r = pipe(t, dir, nil, "show", "-no-color", planFile).expect(t, 0)
	for _, want := range []string{"\nSaved plan sha256:", "  pipeline folder  . (" + dir + ")\n", "  var.factor       3\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, r.stdout)
		}
	}
	r = pipe(t, dir, nil, "show", filepath.Join(dir, "main.pipe.hcl")).expect(t, 1)
	if !strings.Contains(r.stderr, "is a pipeline file, not a saved plan") || !strings.Contains(r.stderr, "Try: ") {
		t.Errorf("show of a pipeline file:\n%s", r.stderr)
	}
	pipe(t, dir, nil, "show", "missing.plan").expect(t, 1)
	pipe(t, dir, nil, "show").expect(t, 1)
}
