package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// editPlan rewrites a saved plan's JSON with edit, as someone who can
// write the file between review and apply would.
func editPlan(t *testing.T, path string, edit func(saved map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc["saved"].(map[string]any))
	b, _ = json.MarshalIndent(doc, "", "  ")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

var digestRE = regexp.MustCompile(`sha256:[0-9a-f]{64}`)

// The reproductions of issue 20 point 3: a plan whose variables, store or
// folder were edited after review is refused; show lets a reviewer see
// them; a cut or garbage plan is a damaged plan, not a pipeline.
func TestSavedPlanIsWhatWasReviewed(t *testing.T) {
	dir := copyDir(t, "testdata/pipelines/publish")
	editFile(t, filepath.Join(dir, "main.pipe.hcl"), `require    = fakemodel.m.f1 >= 0.5`, `require    = fakemodel.m.f1 >= var.min_f1`)
	editFile(t, filepath.Join(dir, "main.pipe.hcl"), `variable "quality" {`, "variable \"min_f1\" {\n  type    = number\n  default = 0.95\n}\n\nvariable \"quality\" {")
	planFile := filepath.Join(t.TempDir(), "pr.plan")

	r := pipe(t, dir, nil, "plan", "-out="+planFile).expect(t, 0)
	digest := digestRE.FindString(r.stdout)
	if digest == "" || !strings.Contains(r.stdout, "Run exactly it with: pipe apply -plan-digest="+digest+" "+planFile) {
		t.Fatalf("plan -out does not print the digest and how to apply exactly it:\n%s", r.stdout)
	}
	for _, args := range [][]string{{"show", planFile}, {"show", "-markdown", planFile}, {"show", "-json", planFile}} {
		if out := pipe(t, dir, nil, args...).expect(t, 0).stdout; !strings.Contains(out, digest) {
			t.Errorf("pipe %s does not show the digest %s:\n%s", strings.Join(args, " "), digest, out)
		}
	}
	md := pipe(t, dir, nil, "show", "-markdown", planFile).expect(t, 0).stdout
	if !strings.Contains(md, "<!-- pipe-plan-digest: "+digest+" -->") || !strings.Contains(md, "| var.min\\_f1 | 0.95 |") {
		t.Errorf("the comment lacks the digest marker or the variables:\n%s", md)
	}

	// The variables: min_f1 lowered so that the blocked publish passes.
	editPlan(t, planFile, func(s map[string]any) {
		s["variables"].(map[string]any)["min_f1"].(map[string]any)["value"] = 0.1
	})
	show := pipe(t, dir, nil, "show", "-no-color", planFile).expect(t, 0).stdout
	if !regexp.MustCompile(`var\.min_f1\s+0\.1\n`).MatchString(show) {
		t.Errorf("show hides the edited variable from a reviewer:\n%s", show)
	}
	r = pipe(t, dir, nil, "apply", "-plan-digest="+digest, planFile).expect(t, 1)
	if !strings.Contains(r.stderr, "it is not the plan that was reviewed") {
		t.Errorf("apply -plan-digest of an edited plan:\n%s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "models")); err == nil {
		t.Error("the refused plan published a model")
	}

	// The store: everything would go elsewhere.
	pipe(t, dir, nil, "plan", "-out="+planFile).expect(t, 0)
	editPlan(t, planFile, func(s map[string]any) { s["store"] = "file://" + filepath.ToSlash(t.TempDir()) })
	r = pipe(t, dir, nil, "apply", planFile).expect(t, 1)
	if !strings.Contains(r.stderr, "does not apply here: it was made against the store file://") || !strings.Contains(r.stderr, "-trust-plan-location") {
		t.Errorf("apply of a plan with another store:\n%s", r.stderr)
	}

	// The folder: another pipeline, outside the folder apply runs in.
	other := copyDir(t, dir)
	pipe(t, dir, nil, "plan", "-out="+planFile).expect(t, 0)
	editPlan(t, planFile, func(s map[string]any) { s["path"], s["abs_path"] = other, other })
	r = pipe(t, dir, nil, "apply", planFile).expect(t, 1)
	if !strings.Contains(r.stderr, "it applies to the pipeline folder "+other+", which is not "+dir+" or a folder inside it") {
		t.Errorf("apply of a plan for another folder:\n%s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(other, ".pipe", "registry.db")); err == nil {
		t.Error("the refused plan ran the other folder's pipeline")
	}

	// Cut short, or garbage: a damaged plan, never read as a pipeline.
	b, _ := os.ReadFile(planFile)
	for name, bad := range map[string][]byte{"cut": b[:len(b)/2], "garbage": []byte("\x00\x01pipeline \"x\" {}")} {
		os.WriteFile(planFile, bad, 0o644)
		for _, cmd := range []string{"apply", "show"} {
			r = pipe(t, dir, nil, cmd, planFile).expect(t, 1)
			if !strings.Contains(r.stderr, planFile+" is a damaged plan file") || strings.Contains(r.stderr, "Argument or block definition required") {
				t.Errorf("%s of a %s plan:\n%s", cmd, name, r.stderr)
			}
		}
	}

	// The reviewed plan, unchanged, applies: blocked by require.
	r = pipe(t, dir, nil, "plan", "-out="+planFile).expect(t, 0)
	r = pipe(t, dir, nil, "apply", "-plan-digest="+digestRE.FindString(r.stdout), planFile).expect(t, 1)
	if !strings.Contains(r.stdout+r.stderr, "Publishing blocked by require") {
		t.Errorf("the reviewed plan:\n%s\n%s", r.stdout, r.stderr)
	}
	pipe(t, dir, nil, "apply", "-plan-digest="+digest, dir).expect(t, 1)
}
