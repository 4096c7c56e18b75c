package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/plan"
)

func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s has no %q", path, old)
	}
	os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644)
}

func TestPlanApplyExitCodes(t *testing.T) {
	dir := copyDir(t, "testdata/pipelines/ok")
	r := pipe(t, dir, nil, "plan", "-detailed-exitcode").expect(t, 2)
	if !strings.Contains(r.stdout, "Plan: 4 to run, 0 cached.") {
		t.Errorf("plan:\n%s", r.stdout)
	}
	r = pipe(t, dir, nil, "apply").expect(t, 0)
	if !strings.Contains(r.stdout, "Apply complete: 4 ran, 0 cached") {
		t.Errorf("apply:\n%s", r.stdout)
	}
	r = pipe(t, dir, nil, "plan", "-detailed-exitcode").expect(t, 0)
	if !strings.Contains(r.stdout, "Plan: 0 to run, 4 cached.") {
		t.Errorf("plan after apply:\n%s", r.stdout)
	}

	// -json is one document with the summary.
	r = pipe(t, dir, nil, "plan", "-json").expect(t, 0)
	var doc plan.Document
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.FormatVersion != plan.DocumentFormat || doc.Summary.Cached != 4 {
		t.Errorf("plan -json: %v %+v", err, doc)
	}

	// Output, as JSON and as one bare value.
	r = pipe(t, dir, nil, "output", "-json").expect(t, 0)
	var outs map[string]struct {
		Key     string                     `json:"key"`
		Outputs map[string]json.RawMessage `json:"outputs"`
	}
	var data struct{ URI string }
	if err := json.Unmarshal([]byte(r.stdout), &outs); err != nil || len(outs) != 4 || json.Unmarshal(outs["source.corpus"].Outputs["data"], &data) != nil || !strings.HasPrefix(data.URI, "file://") {
		t.Errorf("output -json: %v\n%s", err, r.stdout)
	}
	r = pipe(t, dir, nil, "output", "source.corpus.lines").expect(t, 0)
	if r.stdout != "3\n" {
		t.Errorf("bare output %q", r.stdout)
	}
	pipe(t, dir, nil, "output", "source.nope").expect(t, 1)
}

func TestApplyFailureNamesTheStep(t *testing.T) {
	dir := copyDir(t, "testdata/pipelines/ok")
	editFile(t, filepath.Join(dir, "main.pipe.hcl"), "factor = var.factor", "factor = var.factor\n  fail   = true")
	r := pipe(t, dir, nil, "apply").expect(t, 1)
	if !strings.Contains(r.stderr, "Error: Step transform.shout failed") || !strings.Contains(r.stderr, "on main.pipe.hcl line 14") {
		t.Errorf("failure not located:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, "combine.both: skipped") || !strings.Contains(r.stdout, "transform.whisper: ran") {
		t.Errorf("skipped and independent steps:\n%s", r.stdout)
	}
	editFile(t, filepath.Join(dir, "main.pipe.hcl"), "fail   = true", "fail   = false")
	r = pipe(t, dir, nil, "apply").expect(t, 0)
	if !strings.Contains(r.stdout, "Apply complete: 2 ran, 2 cached") {
		t.Errorf("resume:\n%s", r.stdout)
	}
}

func TestSavedPlan(t *testing.T) {
	dir := copyDir(t, "testdata/pipelines/ok")
	planFile := filepath.Join(t.TempDir(), "p.plan")
	pipe(t, dir, nil, "plan", "-var", "factor=5", "-out="+planFile).expect(t, 0)
	r := pipe(t, dir, nil, "show", "-markdown", planFile).expect(t, 0)
	if !strings.Contains(r.stdout, "| `transform.shout` | run (known after apply) |") {
		t.Errorf("show -markdown:\n%s", r.stdout)
	}
	// The plan's variables apply, not the defaults.
	pipe(t, dir, nil, "apply", planFile).expect(t, 0)
	r = pipe(t, dir, nil, "output", "transform.shout.info").expect(t, 0)
	if !strings.Contains(r.stdout, "factor = 5") {
		t.Errorf("saved plan's variable not used: %s", r.stdout)
	}
	// A change since the plan makes it stale.
	pipe(t, dir, nil, "plan", "-out="+planFile).expect(t, 0)
	os.WriteFile(filepath.Join(dir, "data", "a.txt"), []byte("changed\n"), 0o644)
	r = pipe(t, dir, nil, "apply", planFile).expect(t, 1)
	if !strings.Contains(r.stderr, "is stale") || !strings.Contains(r.stderr, "input file data/a.txt changed") {
		t.Errorf("stale plan:\n%s", r.stderr)
	}
	pipe(t, dir, nil, "apply", "-target=source.corpus", planFile).expect(t, 1)
}

func TestApplyLockAndCancel(t *testing.T) {
	dir := copyDir(t, "testdata/pipelines/ok")
	editFile(t, filepath.Join(dir, "main.pipe.hcl"), "factor = var.factor", "factor = var.factor\n  sleep  = \"20s\"")

	slow := exec.Command(binary(t), "apply", "-no-color")
	slow.Dir = dir
	var slowOut lockedBuffer
	slow.Stdout, slow.Stderr = &slowOut, &slowOut
	if err := slow.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(slowOut.String(), "transform.shout: running") {
		if time.Now().After(deadline) {
			t.Fatalf("the slow apply did not start:\n%s", slowOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	// A second apply fails at once, naming the holder; with -json, as an
	// event too.
	r := pipe(t, dir, nil, "apply", "-json").expect(t, 1)
	var ev struct{ Type, Message string }
	if err := json.Unmarshal([]byte(r.stdout), &ev); err != nil || ev.Type != "error" || !strings.Contains(ev.Message, "is locked by") {
		t.Errorf("apply -json of a held lock: %v %q", err, r.stdout)
	}
	r = pipe(t, dir, nil, "apply").expect(t, 1)
	host, _ := os.Hostname()
	if !strings.Contains(r.stderr, "is locked by") || !strings.Contains(r.stderr, fmt.Sprintf("host %s, pid %d, since ", host, slow.Process.Pid)) || !strings.Contains(r.stderr, "pipe force-unlock") {
		t.Errorf("lock message:\n%s", r.stderr)
	}
	pipe(t, dir, nil, "force-unlock", "not-the-id").expect(t, 1)

	// Ctrl-C cancels the running step; the run is recorded as cancelled.
	slow.Process.Signal(syscall.SIGINT)
	err := slow.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("cancelled apply: %v\n%s", err, slowOut.String())
	}
	if !strings.Contains(slowOut.String(), "Apply cancelled") {
		t.Errorf("cancelled apply output:\n%s", slowOut.String())
	}

	// The next apply resumes: only the cancelled step and what follows run.
	editFile(t, filepath.Join(dir, "main.pipe.hcl"), `sleep  = "20s"`, `sleep  = "0s"`)
	r = pipe(t, dir, nil, "apply").expect(t, 0)
	if !strings.Contains(r.stdout, "Apply complete: 2 ran, 2 cached") {
		t.Errorf("resume after cancel:\n%s", r.stdout)
	}
}

// lockedBuffer collects a subprocess's output while a test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestPlanAndApplyFlags(t *testing.T) {
	dir := copyDir(t, "testdata/pipelines/ok")

	// -detailed-exitcode: 1 on error, whatever would run.
	pipe(t, "testdata/pipelines", nil, "plan", "-detailed-exitcode", "broken").expect(t, 1)
	r := pipe(t, dir, nil, "plan", "-target=transform.shuot").expect(t, 1)
	if !strings.Contains(r.stderr, "Did you mean transform.shout?") {
		t.Errorf("unknown target:\n%s", r.stderr)
	}
	r = pipe(t, dir, nil, "plan", "-replace=shout").expect(t, 1)
	if !strings.Contains(r.stderr, `-replace=shout: "shout" is not a step address`) || !strings.Contains(r.stderr, "Try: ") {
		t.Errorf("bad address:\n%s", r.stderr)
	}

	// apply -json: one JSON document per line, the plan first and the
	// summary last, a started and a finished event for every step.
	r = pipe(t, dir, nil, "apply", "-json", "-parallelism=2").expect(t, 0)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var types []string
	started, finished := map[string]bool{}, map[string]string{}
	for _, l := range lines {
		var e struct{ Type, Step, Status string }
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("not NDJSON: %v\n%s", err, r.stdout)
		}
		types = append(types, e.Type)
		switch e.Type {
		case "step_started":
			started[e.Step] = true
		case "step_finished":
			finished[e.Step] = e.Status
		}
	}
	if types[0] != "plan" || types[len(types)-1] != "summary" || len(started) != 4 || len(finished) != 4 || finished["combine.both"] != "ran" {
		t.Errorf("apply -json events %v, started %v, finished %v", types, started, finished)
	}

	// Failures in -json are diagnostics events with the step's location.
	editFile(t, filepath.Join(dir, "main.pipe.hcl"), "factor = var.factor", "factor = var.factor\n  fail   = true")
	r = pipe(t, dir, nil, "apply", "-json").expect(t, 1)
	if !strings.Contains(r.stdout, `"type":"diagnostic"`) || !strings.Contains(r.stdout, `"summary":"Step transform.shout failed"`) || !strings.Contains(r.stdout, `"status":"failed"`) {
		t.Errorf("apply -json failure:\n%s", r.stdout)
	}
}

// pipe output reads what ran: it needs no value for a required variable.
func TestOutputNeedsNoVariables(t *testing.T) {
	dir := copyDir(t, "testdata/pipelines/ok")
	os.WriteFile(filepath.Join(dir, "vars.pipe.hcl"), []byte("variable \"run_name\" {\n  type = string\n}\n"), 0o644)
	pipe(t, dir, nil, "apply").expect(t, 1)
	pipe(t, dir, nil, "apply", "-var", "run_name=x").expect(t, 0)
	r := pipe(t, dir, nil, "output", "source.corpus.lines").expect(t, 0)
	if r.stdout != "3\n" {
		t.Errorf("output: %q", r.stdout)
	}
}

// A saved plan applies from another folder, and the state can live away
// from a read-only pipeline folder (a ConfigMap mount).
func TestSavedPlanElsewhereAndStateDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "pipelines")
	os.Rename(copyDir(t, "testdata/pipelines/ok"), dir)
	state := filepath.Join(t.TempDir(), "state")
	env := []string{"PIPE_STATE_DIR=" + state}
	before := listFiles(t, dir)

	pipe(t, root, env, "plan", "-out=nightly.plan", "pipelines").expect(t, 0)
	// From the pipeline folder itself (as with -chdir), the plan still
	// finds its pipeline.
	r := pipe(t, dir, env, "apply", "-no-color", filepath.Join(root, "nightly.plan")).expect(t, 0)
	if !strings.Contains(r.stdout, "Apply complete: 4 ran, 0 cached") {
		t.Errorf("apply of the saved plan:\n%s", r.stdout)
	}
	if after := listFiles(t, dir); !slices.Equal(before, after) {
		t.Errorf("pipe wrote into the pipeline folder with PIPE_STATE_DIR set:\n%v\n%v", before, after)
	}
	for _, p := range []string{"store", "registry.db"} {
		if _, err := os.Stat(filepath.Join(state, p)); err != nil {
			t.Errorf("state folder: %v", err)
		}
	}
	r = pipe(t, dir, env, "plan", "-detailed-exitcode").expect(t, 0)
	if !strings.Contains(r.stdout, "Plan: 0 to run, 4 cached.") {
		t.Errorf("plan after apply:\n%s", r.stdout)
	}
}

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// The lock of an apply killed outright can be removed by its ID.
func TestForceUnlock(t *testing.T) {
	dir := copyDir(t, "testdata/pipelines/ok")
	editFile(t, filepath.Join(dir, "main.pipe.hcl"), "factor = var.factor", "factor = var.factor\n  sleep  = \"20s\"")
	slow := exec.Command(binary(t), "apply", "-no-color")
	slow.Dir = dir
	var out lockedBuffer
	slow.Stdout, slow.Stderr = &out, &out
	if err := slow.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "transform.shout: running") {
		if time.Now().After(deadline) {
			t.Fatalf("the slow apply did not start:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	r := pipe(t, dir, nil, "apply").expect(t, 1)
	id := regexp.MustCompile(`pipe force-unlock ([0-9a-f-]+)`).FindStringSubmatch(r.stderr)
	if id == nil {
		t.Fatalf("no lock ID in:\n%s", r.stderr)
	}
	slow.Process.Kill()
	slow.Wait()
	r = pipe(t, dir, nil, "force-unlock", id[1]).expect(t, 0)
	if !strings.HasPrefix(r.stdout, "Removed the lock held by "+id[1]) {
		t.Errorf("force-unlock: %q", r.stdout)
	}
	r = pipe(t, dir, nil, "force-unlock", id[1]).expect(t, 1)
	if !strings.Contains(r.stderr, "is not locked") {
		t.Errorf("second force-unlock:\n%s", r.stderr)
	}
}
