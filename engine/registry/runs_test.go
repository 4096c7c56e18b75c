package registry

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func digestOf(s string) string {
	// Not a real hash: a valid, readable digest for tests.
	h := strings.Repeat(s, 64/len(s)+1)[:64]
	return "sha256:" + h
}

func TestRunRoundTrip(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	dirty := true
	in := Run{
		Pipeline: "privacy-intent", Trigger: TriggerCI, ConfigDigest: digestOf("c0"),
		GitCommit: "0123456789abcdef0123456789abcdef01234567", GitDirty: &dirty, GitBranch: "main",
		PullRequest: "42", PipeVersion: "0.1.0", Host: "ci-runner", User: "ci", StoreURL: "gs://b/store",
		Started: time.Date(2025, 1, 2, 3, 4, 5, 678_900_000, time.UTC),
	}
	id, err := db.BeginRun(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.EndRun(ctx, id, RunFailed, "train.model: did not converge"); err != nil {
		t.Fatal(err)
	}
	got, err := db.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := in
	want.ID = id
	want.Started = time.Date(2025, 1, 2, 3, 4, 5, 678_000_000, time.UTC) // milliseconds
	want.Status = RunFailed
	want.Error = "train.model: did not converge"
	want.Ended = got.Ended
	if got.Ended.IsZero() {
		t.Error("Ended not set")
	}
	if diff := cmp.Diff(want, got.Run); diff != "" {
		t.Errorf("run (-want +got):\n%s", diff)
	}
	if err := db.EndRun(ctx, id, RunSucceeded, ""); err == nil || !strings.Contains(err.Error(), "already ended") {
		t.Errorf("ending a run twice: err = %v", err)
	}
	if err := db.EndRun(ctx, id+100, RunSucceeded, ""); err == nil || !strings.Contains(err.Error(), "no run") {
		t.Errorf("ending a missing run: err = %v", err)
	}
}

func TestBeginRunValidates(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	for _, r := range []Run{
		{Trigger: TriggerManual},
		{Pipeline: "p", Trigger: "cron"},
	} {
		if _, err := db.BeginRun(ctx, r); err == nil || !strings.HasPrefix(err.Error(), "registry: ") {
			t.Errorf("BeginRun(%+v) err = %v", r, err)
		}
	}
	if err := db.EndRun(ctx, 1, "done", ""); err == nil {
		t.Error("EndRun accepted status done")
	}
}

func TestRunsFilterAndOrder(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	var ids []int64
	for i, p := range []string{"a", "b", "a", "a"} {
		id, err := db.BeginRun(ctx, Run{Pipeline: p, Trigger: TriggerSchedule, PipeVersion: "v"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		if i < 2 {
			if err := db.EndRun(ctx, id, RunSucceeded, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	runIDs := func(f RunFilter) []int64 {
		runs, err := db.Runs(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, r := range runs {
			out = append(out, r.ID)
		}
		return out
	}
	for _, c := range []struct {
		f    RunFilter
		want []int64
	}{
		{RunFilter{}, []int64{ids[3], ids[2], ids[1], ids[0]}},
		{RunFilter{Limit: 2}, []int64{ids[3], ids[2]}},
		{RunFilter{Pipeline: "a"}, []int64{ids[3], ids[2], ids[0]}},
		{RunFilter{Pipeline: "a", Status: RunRunning}, []int64{ids[3], ids[2]}},
		{RunFilter{Status: RunSucceeded, Limit: 1}, []int64{ids[1]}},
	} {
		if diff := cmp.Diff(c.want, runIDs(c.f)); diff != "" {
			t.Errorf("Runs(%+v) (-want +got):\n%s", c.f, diff)
		}
	}
}

func TestMarkInterrupted(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	begin := func(p, origin string) int64 {
		id, err := db.BeginRun(ctx, Run{Pipeline: p, Trigger: TriggerWatch, PipeVersion: "v", Origin: origin})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	// elsewhere runs from another state folder (another machine): it may
	// well be alive, and is left alone.
	done, dead, other, elsewhere := begin("p", "here"), begin("p", "here"), begin("q", "here"), begin("p", "there")
	if err := db.EndRun(ctx, done, RunSucceeded, ""); err != nil {
		t.Fatal(err)
	}
	finished, err := db.RecordExecution(ctx, Execution{RunID: dead, Step: "load.x", Kind: "load", KindVersion: "1", Status: ExecRan})
	if err != nil {
		t.Fatal(err)
	}
	stuck, err := db.StartExecution(ctx, Execution{RunID: dead, Step: "train.m", Kind: "train", KindVersion: "1"})
	if err != nil {
		t.Fatal(err)
	}

	n, err := db.MarkInterrupted(ctx, "p", "here")
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("MarkInterrupted marked %d runs, want 1", n)
	}
	status := func(id int64) string {
		r, err := db.Run(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return r.Status
	}
	if s := status(done); s != RunSucceeded {
		t.Errorf("finished run became %s", s)
	}
	if s := status(other); s != RunRunning {
		t.Errorf("another pipeline's run became %s", s)
	}
	if s := status(elsewhere); s != RunRunning {
		t.Errorf("a run from another state folder became %s", s)
	}
	d, _ := db.Run(ctx, dead)
	if d.Status != RunInterrupted || d.Ended.IsZero() || !strings.Contains(d.Error, "interrupted") {
		t.Errorf("dead run = %+v", d.Run)
	}
	for _, e := range d.Executions {
		want := map[int64]string{finished: ExecRan, stuck: ExecInterrupted}[e.ID]
		if e.Status != want {
			t.Errorf("execution %d (%s) status %s, want %s", e.ID, e.Step, e.Status, want)
		}
	}
	if err := db.FinishExecution(ctx, stuck, ExecutionResult{Status: ExecRan}); err == nil {
		t.Error("finishing an interrupted execution succeeded")
	}
	if n, _ := db.MarkInterrupted(ctx, "", "here"); n != 1 {
		t.Errorf("MarkInterrupted(all) marked %d, want 1 (pipeline q)", n)
	}
	if n, _ := db.MarkInterrupted(ctx, "", "here"); n != 0 {
		t.Errorf("second MarkInterrupted marked %d, want 0", n)
	}
}

func TestExecutionRoundTrip(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	run, err := db.BeginRun(ctx, Run{Pipeline: "p", Trigger: TriggerManual, PipeVersion: "v"})
	if err != nil {
		t.Fatal(err)
	}
	file := ArtifactRef{Digest: digestOf("f1"), Size: 100, Name: "path", Path: "./data//corpus.csv"}
	train := ArtifactRef{Digest: digestOf("d1"), MediaType: "application/vnd.apache.arrow.file", Size: 50, Kind: "dataset", Name: "train", URI: "file:///store/objects/sha256/d1"}
	test := ArtifactRef{Digest: digestOf("d2"), MediaType: "application/vnd.apache.arrow.file", Size: 20, Kind: "dataset", Name: "test"}
	load, err := db.StartExecution(ctx, Execution{
		RunID: run, Step: "load.corpus", Kind: "load", KindVersion: "1", CacheKey: digestOf("k1"),
		Started: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		Config:  json.RawMessage(`{ "path": "data/*.csv",  "label": "label" }`),
		Used:    []ArtifactRef{file},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.FinishExecution(ctx, load, ExecutionResult{
		Status: ExecRan, Ended: time.Date(2025, 1, 1, 0, 0, 2, 0, time.UTC),
		Outputs: json.RawMessage(`{"rows": 120}`), Warnings: []string{"2 rows skipped"},
		Produced: []ArtifactRef{train, test},
	}); err != nil {
		t.Fatal(err)
	}
	search, err := db.RecordExecution(ctx, Execution{
		RunID: run, Step: "search.lr", Kind: "search", KindVersion: "1", Status: ExecCached,
		Used: []ArtifactRef{train}, Outputs: json.RawMessage(`{"best":{"C":1}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	fit, err := db.RecordExecution(ctx, Execution{
		RunID: run, Step: "train.m", Kind: "train", KindVersion: "1", Status: ExecFailed, Error: "boom",
		Used: []ArtifactRef{train}, DependsOn: []Dependency{{ExecutionID: search, Name: "search.lr.best"}},
	})
	if err != nil {
		t.Fatal(err)
	}

	got, err := db.Execution(ctx, load)
	if err != nil {
		t.Fatal(err)
	}
	wantFile := file
	wantFile.Path, wantFile.Kind, wantFile.MediaType = "data/corpus.csv", KindFile, "text/csv" // from the extension
	wantTrain, wantTest := train, test
	wantTrain.Kind, wantTest.Kind = "dataset", "dataset"
	want := &Execution{
		ID: load, RunID: run, Step: "load.corpus", Kind: "load", KindVersion: "1", CacheKey: digestOf("k1"),
		Status: ExecRan, Started: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Ended: time.Date(2025, 1, 1, 0, 0, 2, 0, time.UTC),
		Config: json.RawMessage(`{"path":"data/*.csv","label":"label"}`), Outputs: json.RawMessage(`{"rows":120}`),
		Warnings: []string{"2 rows skipped"},
		Used:     []ArtifactRef{wantFile}, Produced: []ArtifactRef{wantTest, wantTrain},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("execution (-want +got):\n%s", diff)
	}

	d, err := db.Run(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Executions) != 3 {
		t.Fatalf("run has %d executions, want 3", len(d.Executions))
	}
	if e := d.Executions[2]; e.ID != fit || e.Error != "boom" || len(e.DependsOn) != 1 || e.DependsOn[0].ExecutionID != search {
		t.Errorf("train execution = %+v", e)
	}

	// The same artifact seen again keeps one row, and gains a location.
	again := train
	again.URI = "gs://bucket/objects/sha256/d1"
	if _, err := db.RecordExecution(ctx, Execution{RunID: run, Step: "evaluate.h", Kind: "evaluate", KindVersion: "1", Status: ExecRan, Used: []ArtifactRef{again}}); err != nil {
		t.Fatal(err)
	}
	a, err := db.Artifact(ctx, train.Digest[:7+12])
	if err != nil {
		t.Fatal(err)
	}
	if a.URI != train.URI || len(a.Locations) != 2 || a.Kind != "dataset" {
		t.Errorf("artifact = %+v", a)
	}
	var n int
	db.idx.SQL().QueryRow(`SELECT count(*) FROM artifacts`).Scan(&n)
	if n != 3 {
		t.Errorf("%d artifacts, want 3", n)
	}
}

func TestExecutionValidates(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	run, _ := db.BeginRun(ctx, Run{Pipeline: "p", Trigger: TriggerManual, PipeVersion: "v"})
	for name, e := range map[string]Execution{
		"no run":         {Step: "a.b", Kind: "a", Status: ExecRan},
		"missing run":    {RunID: run + 9, Step: "a.b", Kind: "a", Status: ExecRan},
		"bad status":     {RunID: run, Step: "a.b", Kind: "a", Status: "done"},
		"bad json":       {RunID: run, Step: "a.b", Kind: "a", Status: ExecRan, Config: json.RawMessage(`{`)},
		"bad digest":     {RunID: run, Step: "a.b", Kind: "a", Status: ExecRan, Used: []ArtifactRef{{Digest: "md5:00"}}},
		"missing exec":   {RunID: run, Step: "a.b", Kind: "a", Status: ExecRan, DependsOn: []Dependency{{ExecutionID: 99}}},
		"running status": {RunID: run, Step: "a.b", Kind: "a", Status: ExecRunning},
	} {
		if _, err := db.RecordExecution(ctx, e); err == nil || !strings.HasPrefix(err.Error(), "registry: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// Nothing half-written: a failed record leaves no execution behind.
	d, _ := db.Run(ctx, run)
	if len(d.Executions) != 0 {
		t.Errorf("failed records left %d executions", len(d.Executions))
	}
}
