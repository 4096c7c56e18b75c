package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/registry"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
)

var (
	timeRE     = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?Z?`)
	durationRE = regexp.MustCompile(`\b\d+(\.\d+)?(ms|s)\b`)
	hostRE     = regexp.MustCompile(`(?m)^  Host .*$`)
	spacesRE   = regexp.MustCompile(` {2,}`)
	byUserRE   = regexp.MustCompile(`(?m)\bby [A-Za-z0-9_.@-]+$`)
)

// mask replaces what changes from run to run (times, durations, the
// temporary folder, the host) so that output can be compared with a
// golden file. Tables are realigned by collapsing runs of spaces, since
// the masked cells had other widths.
func mask(s, dir string, table bool) string {
	s = strings.ReplaceAll(s, filepath.ToSlash(dir), "DIR")
	s = timeRE.ReplaceAllString(s, "TIME")
	s = hostRE.ReplaceAllString(s, "  Host HOST")
	s = byUserRE.ReplaceAllString(s, "by USER")
	if v := pipeVersion; v != "" {
		s = regexp.MustCompile(`\b`+regexp.QuoteMeta(v)+`\b`).ReplaceAllString(s, "VERSION")
	}
	if table {
		s = durationRE.ReplaceAllString(s, "DUR")
		s = spacesRE.ReplaceAllString(s, "  ")
	}
	return s
}

// pipeVersion is the version the test binary reports, set by
// publishedPipeline.
var pipeVersion string

// publishedPipeline applies the publish fixture three times: a model, a
// better one (the champion), and one that is not better (kept out).
func publishedPipeline(t *testing.T) string {
	t.Helper()
	dir := copyDir(t, "testdata/pipelines/publish")
	r := pipe(t, dir, nil, "runs").expect(t, 1)
	if !strings.Contains(r.stderr, "no registry at "+filepath.Join(dir, ".pipe", "registry.db")+" yet: run pipe apply first") {
		t.Errorf("runs before any apply:\n%s", r.stderr)
	}
	var v views.Build
	if err := json.Unmarshal([]byte(pipe(t, dir, nil, "version", "-json").expect(t, 0).stdout), &v); err != nil {
		t.Fatal(err)
	}
	pipeVersion = v.Version
	// One step at a time, so that execution IDs are the same every time.
	pipe(t, dir, nil, "apply", "-parallelism=1").expect(t, 0)
	pipe(t, dir, nil, "apply", "-parallelism=1", "-var", "quality=0.95").expect(t, 0)
	r = pipe(t, dir, nil, "apply", "-parallelism=1", "-var", "quality=0.92").expect(t, 0)
	if !strings.Contains(r.stdout, "warning: Not promoted: kept clf@champion at version 2: f1 0.92 does not beat 0.95") {
		t.Errorf("third apply does not say why the champion stayed:\n%s", r.stdout)
	}
	return dir
}

func TestRuns(t *testing.T) {
	dir := publishedPipeline(t)
	r := pipe(t, dir, nil, "runs").expect(t, 0)
	golden(t, "runs.txt", mask(r.stdout, dir, true))

	r = pipe(t, dir, nil, "runs", "-json", "-limit=2").expect(t, 0)
	var runs views.RunsDocument
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil || len(runs.Runs) != 2 || runs.Runs[0].ID != 3 || runs.Runs[0].Status != registry.RunSucceeded {
		t.Errorf("runs -json: %v\n%s", err, r.stdout)
	}
	r = pipe(t, dir, nil, "runs", "-status=failed").expect(t, 0)
	if !strings.Contains(r.stdout, "No runs recorded yet") {
		t.Errorf("runs -status=failed: %s", r.stdout)
	}

	r = pipe(t, dir, nil, "runs", "show", "3").expect(t, 0)
	golden(t, "runs_show.txt", mask(r.stdout, dir, true))
	r = pipe(t, filepath.Dir(dir), nil, "runs", "show", "-json", filepath.Base(dir), "1").expect(t, 0)
	var d registry.RunDetail
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil || d.ID != 1 || len(d.Executions) != 5 {
		t.Fatalf("runs show -json: %v\n%s", err, r.stdout)
	}
	r = pipe(t, dir, nil, "runs", "show", "99").expect(t, 1)
	if !strings.Contains(r.stderr, "Error: no run 99") || strings.Contains(r.stderr, "registry:") {
		t.Errorf("runs show 99:\n%s", r.stderr)
	}
	pipe(t, dir, nil, "runs", "show", "x").expect(t, 1)
	pipe(t, dir, nil, "runs", "-limit=-1").expect(t, 1)
}

func TestModels(t *testing.T) {
	dir := publishedPipeline(t)
	r := pipe(t, dir, nil, "models").expect(t, 0)
	golden(t, "models.txt", mask(r.stdout, dir, true))
	r = pipe(t, dir, nil, "models", "-json").expect(t, 0)
	var list views.ModelsDocument
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Models) != 1 || list.Models[0].Aliases["champion"] != 2 {
		t.Errorf("models -json: %v\n%s", err, r.stdout)
	}
	r = pipe(t, dir, nil, "models", "show", "clf").expect(t, 0)
	golden(t, "models_show.txt", mask(r.stdout, dir, true))
	r = pipe(t, dir, nil, "models", "show", "-json", "clf").expect(t, 0)
	var detail registry.ModelDetail
	if err := json.Unmarshal([]byte(r.stdout), &detail); err != nil || len(detail.Versions) != 3 || detail.Versions[1].Metrics["f1"] != 0.95 {
		t.Errorf("models show -json: %v\n%s", err, r.stdout)
	}
	r = pipe(t, dir, nil, "models", "show", "nope").expect(t, 1)
	if !strings.Contains(r.stderr, `no model named "nope"`) {
		t.Errorf("models show nope:\n%s", r.stderr)
	}

	// By hand: promote, roll back twice, and the history has it all.
	r = pipe(t, dir, nil, "models", "promote", "clf@3", "champion").expect(t, 0)
	if r.stdout != "Moved clf@champion from version 2 to version 3.\n" {
		t.Errorf("promote: %q", r.stdout)
	}
	r = pipe(t, dir, nil, "models", "promote", "clf@latest", "champion").expect(t, 0)
	if r.stdout != "clf@champion already points at version 3.\n" {
		t.Errorf("promote again: %q", r.stdout)
	}
	r = pipe(t, dir, nil, "models", "promote", "-json", "-note=canary", "clf@1", "staging").expect(t, 0)
	var move views.AliasMoved
	if err := json.Unmarshal([]byte(r.stdout), &move); err != nil || move != (views.AliasMoved{Model: "clf", Alias: "staging", To: 1, Moved: true}) {
		t.Errorf("promote -json: %v %q", err, r.stdout)
	}
	r = pipe(t, dir, nil, "models", "rollback", "clf", "champion").expect(t, 0)
	if r.stdout != "Rolled back clf@champion from version 3 to version 2.\n" {
		t.Errorf("rollback: %q", r.stdout)
	}
	r = pipe(t, dir, nil, "models", "rollback", "clf", "champion").expect(t, 0)
	if r.stdout != "Rolled back clf@champion from version 2 to version 1.\n" {
		t.Errorf("second rollback: %q", r.stdout)
	}
	r = pipe(t, dir, nil, "models", "rollback", "clf", "champion").expect(t, 1)
	if !strings.Contains(r.stderr, "no earlier version to roll back to") {
		t.Errorf("third rollback:\n%s", r.stderr)
	}
	pipe(t, dir, nil, "models", "promote", "clf@9", "champion").expect(t, 1)
	pipe(t, dir, nil, "models", "promote", "clf@1", "v2").expect(t, 1)

	r = pipe(t, dir, nil, "models", "history", "clf").expect(t, 0)
	golden(t, "models_history.txt", mask(r.stdout, dir, true))
	r = pipe(t, dir, nil, "models", "history", "-json", "-alias=staging", "clf").expect(t, 0)
	var hist views.HistoryDocument
	if err := json.Unmarshal([]byte(r.stdout), &hist); err != nil || len(hist.History) != 1 || hist.History[0].Note != "canary" || hist.History[0].Trigger != registry.MoveByPromote {
		t.Errorf("history -json: %v\n%s", err, r.stdout)
	}

	// The registry named directly: no pipeline needed.
	r = pipe(t, t.TempDir(), []string{"PIPE_REGISTRY=" + filepath.Join(dir, ".pipe", "registry.db")}, "models").expect(t, 0)
	if !strings.Contains(r.stdout, "champion=v1") {
		t.Errorf("models with PIPE_REGISTRY:\n%s", r.stdout)
	}
	r = pipe(t, t.TempDir(), []string{"PIPE_REGISTRY=" + filepath.Join(dir, ".pipe", "registry.db")}, "runs", "-limit=1").expect(t, 0)
	if !strings.HasPrefix(r.stdout, "PIPELINE  RUN") || !strings.Contains(r.stdout, "\nclf       3 ") {
		t.Errorf("runs with PIPE_REGISTRY:\n%s", r.stdout)
	}
	r = pipe(t, t.TempDir(), nil, "models", "-registry=missing.db").expect(t, 1)
	if !strings.Contains(r.stderr, "missing.db yet: run pipe apply first") {
		t.Errorf("missing registry:\n%s", r.stderr)
	}
}

func TestLineage(t *testing.T) {
	dir := publishedPipeline(t)
	r := pipe(t, dir, nil, "lineage", "clf@champion").expect(t, 0)
	golden(t, "lineage_champion.txt", mask(r.stdout, dir, false))
	// -v shows every configuration and output in full, whole digests and
	// where the store keeps each artifact.
	r = pipe(t, dir, nil, "lineage", "-v", "clf@champion").expect(t, 0)
	golden(t, "lineage_champion_verbose.txt", mask(r.stdout, dir, false))

	r = pipe(t, dir, nil, "lineage", "-json", "clf@2").expect(t, 0)
	var g registry.Graph
	if err := json.Unmarshal([]byte(r.stdout), &g); err != nil {
		t.Fatalf("lineage -json: %v\n%s", err, r.stdout)
	}
	found := map[string]bool{}
	var modelDigest string
	for _, n := range g.Nodes {
		switch n.Type {
		case registry.NodeExecution:
			found[n.Execution.Step] = true
		case registry.NodeArtifact:
			for _, p := range n.Artifact.Paths {
				found[p] = true
			}
			if n.Artifact.Kind == "model" {
				modelDigest = n.Artifact.Digest
			}
		case registry.NodeRun:
			found["run"] = true
		}
	}
	for _, want := range []string{"publish.release", "fakemodel.m", "transform.prep", "source.train", "data/a.txt", "data/b.txt", "holdout/c.txt", "run"} {
		if !found[want] {
			t.Errorf("lineage of clf@2 lacks %s", want)
		}
	}

	r = pipe(t, dir, nil, "lineage", "-format=dot", "clf@2").expect(t, 0)
	if !strings.HasPrefix(r.stdout, "digraph lineage {") || !strings.Contains(r.stdout, "cluster_run_2") {
		t.Errorf("lineage -format=dot:\n%s", r.stdout)
	}
	// By digest, and by a prefix of it.
	r = pipe(t, dir, nil, "lineage", modelDigest).expect(t, 0)
	if !strings.Contains(r.stdout, "output model of: fakemodel.m") {
		t.Errorf("lineage by digest:\n%s", r.stdout)
	}
	pipe(t, dir, nil, "lineage", strings.TrimPrefix(modelDigest, "sha256:")[:16]).expect(t, 0)

	// Downstream of a file, named relative to where the user stands: every
	// version was built from it.
	r = pipe(t, filepath.Join(dir, "data"), nil, "lineage", "-downstream", "..", "a.txt").expect(t, 0)
	for _, v := range []string{"published: clf@1", "published: clf@2", "published: clf@3"} {
		if !strings.Contains(r.stdout, v) {
			t.Errorf("downstream of data/a.txt lacks %q", v)
		}
	}
	r = pipe(t, dir, nil, "lineage", "-downstream", "-depth=1", "holdout/c.txt").expect(t, 0)
	if strings.Contains(r.stdout, "clf@") || !strings.Contains(r.stdout, "truncated") {
		t.Errorf("-depth=1 went deeper:\n%s", r.stdout)
	}
	r = pipe(t, dir, nil, "lineage", "data/none.txt").expect(t, 1)
	if !strings.Contains(r.stderr, `nothing in the registry matches "data/none.txt"`) {
		t.Errorf("unknown file:\n%s", r.stderr)
	}
	pipe(t, dir, nil, "lineage", "-format=svg", "clf@1").expect(t, 1)
	pipe(t, dir, nil, "lineage").expect(t, 1)
}
