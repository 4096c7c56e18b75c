package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
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
	note := regexp.MustCompile("\nSaved the plan to " + regexp.QuoteMeta(planFile) + ` \((sha256:[0-9a-f]{64})\)\.\nRun exactly it with: pipe apply -plan-digest=(sha256:[0-9a-f]{64}) ` + regexp.QuoteMeta(planFile) + "\n$")

	r := pipe(t, dir, nil, "plan", "-out="+planFile).expect(t, 0)
	if m := note.FindStringSubmatch(r.stdout); m == nil || m[1] != m[2] || strings.Contains(r.stderr, "Saved the plan") {
		t.Errorf("plan -out: the note is not last on stdout:\n--- stdout\n%s--- stderr\n%s", r.stdout, r.stderr)
	}

	// The comment of a saved plan is the plan's, with what it was made
	// from and its digest: show -markdown prints it again.
	r = pipe(t, dir, nil, "plan", "-markdown", "-out="+planFile).expect(t, 0)
	if show := pipe(t, dir, nil, "show", "-markdown", planFile).expect(t, 0); r.stdout != show.stdout || strings.Contains(r.stdout, "Saved the plan") {
		t.Errorf("plan -markdown -out: stdout is not the comment alone:\n--- plan\n%s--- show\n%s", r.stdout, show.stdout)
	}
	if !note.MatchString(r.stderr) {
		t.Errorf("plan -markdown -out: stderr lacks the note:\n%s", r.stderr)
	}

	r = pipe(t, dir, nil, "plan", "-json", "-out="+planFile).expect(t, 0)
	var doc plan.Document
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || strings.Contains(r.stdout, "Saved the plan") {
		t.Errorf("plan -json -out: stdout is not one JSON document (%v):\n%s", err, r.stdout)
	}
	if !note.MatchString(r.stderr) || doc.Digest == "" || !strings.Contains(r.stderr, doc.Digest) {
		t.Errorf("plan -json -out: stderr lacks the note with the digest %q:\n%s", doc.Digest, r.stderr)
	}
	pipe(t, dir, nil, "show", planFile).expect(t, 0)
}
