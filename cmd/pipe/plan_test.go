package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/plan"
)

// plan -out says where it saved the plan: after the plan on stdout for
// people, on stderr with -markdown or -json, so that stdout is only the
// pull-request comment or the JSON document.
func TestPlanOutNote(t *testing.T) {
	dir := copyDir(t, "testdata/pipelines/ok")
	planFile := filepath.Join(t.TempDir(), "pr.plan")
	note := "Saved the plan to " + planFile + ". Run it with: pipe apply " + planFile + "\n"

	r := pipe(t, dir, nil, "plan", "-out="+planFile).expect(t, 0)
	if !strings.HasSuffix(r.stdout, "\n"+note) || strings.Contains(r.stderr, "Saved the plan") {
		t.Errorf("plan -out: the note is not last on stdout:\n--- stdout\n%s--- stderr\n%s", r.stdout, r.stderr)
	}

	md := pipe(t, dir, nil, "plan", "-markdown").expect(t, 0)
	r = pipe(t, dir, nil, "plan", "-markdown", "-out="+planFile).expect(t, 0)
	if r.stdout != md.stdout {
		t.Errorf("plan -markdown -out: stdout is not the comment alone:\n--- with -out\n%s--- without\n%s", r.stdout, md.stdout)
	}
	if !strings.Contains(r.stderr, note) {
		t.Errorf("plan -markdown -out: stderr lacks %q:\n%s", note, r.stderr)
	}

	r = pipe(t, dir, nil, "plan", "-json", "-out="+planFile).expect(t, 0)
	var doc plan.Document
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || strings.Contains(r.stdout, "Saved the plan") {
		t.Errorf("plan -json -out: stdout is not one JSON document (%v):\n%s", err, r.stdout)
	}
	if !strings.Contains(r.stderr, note) {
		t.Errorf("plan -json -out: stderr lacks %q:\n%s", note, r.stderr)
	}
	pipe(t, dir, nil, "show", planFile).expect(t, 0)
}
