package registry

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recordModels records one run whose train execution produced a model
// artifact for each digest, so that versions can refer to them.
func recordModels(t testing.TB, db *DB, digests ...string) int64 {
	t.Helper()
	ctx := context.Background()
	run, err := db.BeginRun(ctx, Run{Pipeline: "p", Trigger: TriggerManual, PipeVersion: "v"})
	if err != nil {
		t.Fatal(err)
	}
	var produced []ArtifactRef
	for _, d := range digests {
		produced = append(produced, ArtifactRef{Digest: d, MediaType: "application/vnd.pipe.model.v1+json", Size: 10, Name: "model"})
	}
	if _, err := db.RecordExecution(ctx, Execution{RunID: run, Step: "train.m", Kind: "train", KindVersion: "1", Status: ExecRan, Produced: produced}); err != nil {
		t.Fatal(err)
	}
	return run
}

func TestModelVersions(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	m1, m2 := digestOf("a1"), digestOf("a2")
	run := recordModels(t, db, m1, m2)

	v, created, err := db.CreateModelVersion(ctx, ModelVersion{Model: "intent", ModelDigest: m1, URI: "gs://b/intent/v1/",
		Metrics: map[string]float64{"f1": 0.8, "accuracy": 0.9}, EvalDataDigest: digestOf("e1"), RunID: run})
	if err != nil || v != 1 || !created {
		t.Fatalf("first version: %d, %v, %v", v, created, err)
	}
	v, created, err = db.CreateModelVersion(ctx, ModelVersion{Model: "intent", ModelDigest: m2, Metrics: map[string]float64{"f1": 0.85, "roc_auc": 0.7}})
	if err != nil || v != 2 || !created {
		t.Fatalf("second version: %d, %v, %v", v, created, err)
	}
	// The same model digest again: no new version, nothing changed.
	v, created, err = db.CreateModelVersion(ctx, ModelVersion{Model: "intent", ModelDigest: m1, Metrics: map[string]float64{"f1": 0.1}})
	if err != nil || v != 1 || created {
		t.Fatalf("same digest again: %d, %v, %v (want 1, false)", v, created, err)
	}
	// Another model may hold the same artifact; its versions count apart.
	v, created, err = db.CreateModelVersion(ctx, ModelVersion{Model: "other", ModelDigest: m1})
	if err != nil || v != 1 || !created {
		t.Fatalf("other model: %d, %v, %v", v, created, err)
	}

	d, err := db.Model(ctx, "intent")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"accuracy", "f1", "roc_auc"}, d.MetricNames); diff != "" {
		t.Errorf("metric names (-want +got):\n%s", diff)
	}
	if len(d.Versions) != 2 || d.Versions[0].Metrics["f1"] != 0.8 || d.Versions[0].URI != "gs://b/intent/v1/" || d.Versions[0].RunID != run {
		t.Errorf("versions = %+v", d.Versions)
	}

	ms, err := db.Models(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Name != "intent" || ms[0].Versions != 2 || ms[0].Latest != 2 || ms[1].Name != "other" {
		t.Errorf("models = %+v", ms)
	}

	for ref, want := range map[string]int{"intent@1": 1, "intent@v2": 2, "intent@latest": 2} {
		mv, err := db.ResolveModel(ctx, ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if mv.Version != want || mv.Model != "intent" {
			t.Errorf("%s resolved to %s", ref, mv)
		}
	}
	for ref, want := range map[string]string{
		"intent@9":        "no version 9",
		"nope@1":          `no model named "nope"`,
		"intent@champion": `no alias "champion"; it has no aliases`,
		"intent":          "not a model reference",
	} {
		if _, err := db.ResolveModel(ctx, ref); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", ref, err, want)
		}
	}
}

func TestCreateModelVersionValidates(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	m := digestOf("a1")
	recordModels(t, db, m)
	for name, c := range map[string]struct {
		mv   ModelVersion
		want string
	}{
		"bad name":       {ModelVersion{Model: "a b", ModelDigest: m}, "not valid"},
		"unknown model":  {ModelVersion{Model: "x", ModelDigest: digestOf("ff")}, "not in the registry"},
		"unknown report": {ModelVersion{Model: "x", ModelDigest: m, ReportDigest: digestOf("ee")}, "report artifact"},
		"nan metric":     {ModelVersion{Model: "x", ModelDigest: m, Metrics: map[string]float64{"f1": nan()}}, "finite"},
		"missing run":    {ModelVersion{Model: "x", ModelDigest: m, RunID: 99}, "does not exist"},
	} {
		if _, _, err := db.CreateModelVersion(ctx, c.mv); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
}

func nan() float64 {
	var zero float64
	return zero / zero
}

// Many goroutines publishing at once, each with its own model and the same
// shared ones, never get one version number twice.
func TestCreateModelVersionConcurrent(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	const workers, each = 4, 8
	var digests []string
	for i := 0; i < workers*each; i++ {
		digests = append(digests, fmt.Sprintf("sha256:%064x", i+1))
	}
	recordModels(t, db, digests...)
	// A second handle on the same file competes like another process.
	db2 := openAt(t, db.path)

	type result struct {
		digest  string
		version int
	}
	results := make(chan result, 2*workers*each)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			h := db
			if w%2 == 1 {
				h = db2
			}
			for i := 0; i < each; i++ {
				// Every worker publishes every digest of its neighbour too,
				// so the same digest races from two goroutines.
				for _, d := range []string{digests[w*each+i], digests[((w+1)%workers)*each+i]} {
					v, _, err := h.CreateModelVersion(ctx, ModelVersion{Model: "shared", ModelDigest: d})
					if err != nil {
						t.Error(err)
						return
					}
					results <- result{d, v}
				}
			}
		}(w)
	}
	wg.Wait()
	close(results)
	byDigest := map[string]int{}
	for r := range results {
		if v, ok := byDigest[r.digest]; ok && v != r.version {
			t.Errorf("digest %s got versions %d and %d", r.digest, v, r.version)
		}
		byDigest[r.digest] = r.version
	}
	d, err := db.Model(ctx, "shared")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Versions) != workers*each {
		t.Fatalf("%d versions, want %d", len(d.Versions), workers*each)
	}
	for i, v := range d.Versions {
		if v.Version != i+1 || byDigest[v.ModelDigest] != v.Version {
			t.Errorf("version %d: %+v (callers saw %d)", i+1, v, byDigest[v.ModelDigest])
		}
	}
	integrityCheck(t, db.idx.SQL())
}

func TestAliasMovesAndRollback(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	m1, m2, m3 := digestOf("a1"), digestOf("a2"), digestOf("a3")
	run := recordModels(t, db, m1, m2, m3)
	eval := digestOf("e1")
	for i, m := range []string{m1, m2, m3} {
		if _, _, err := db.CreateModelVersion(ctx, ModelVersion{Model: "intent", ModelDigest: m, EvalDataDigest: eval,
			Metrics: map[string]float64{"f1": []float64{0.8, 0.9, 0.85}[i], "log_loss": []float64{0.5, 0.4, 0.3}[i]}}); err != nil {
			t.Fatal(err)
		}
	}
	f1 := PromoteRule{Metric: "f1"}

	// No champion yet: the first publish sets it.
	d, err := db.PromoteIf(ctx, "intent", "champion", 1, f1, Reason{RunID: run})
	if err != nil || !d.Moved || d.Incumbent != 0 {
		t.Fatalf("first promote: %+v, %v", d, err)
	}
	// v2 beats v1 on f1.
	d, err = db.PromoteIf(ctx, "intent", "champion", 2, f1, Reason{RunID: run})
	if err != nil || !d.Moved || !d.Compared || d.Incumbent != 1 || d.IncumbentValue != 0.8 || d.CandidateValue != 0.9 {
		t.Fatalf("v2 over v1: %+v, %v", d, err)
	}
	// v3 does not beat v2 on f1, though it does on log_loss.
	d, err = db.PromoteIf(ctx, "intent", "champion", 3, f1, Reason{RunID: run})
	if err != nil || d.Moved || !strings.Contains(d.Why, "does not beat") {
		t.Fatalf("v3 over v2 on f1: %+v, %v", d, err)
	}
	d, err = db.PromoteIf(ctx, "intent", "champion", 3, PromoteRule{Metric: "log_loss", LowerIsBetter: true, MinDelta: 0.2}, Reason{})
	if err != nil || d.Moved {
		t.Fatalf("v3 over v2 on log_loss by 0.2: %+v, %v", d, err)
	}
	if _, err := db.PromoteIf(ctx, "intent", "champion", 3, PromoteRule{Metric: "auc"}, Reason{}); err == nil || !strings.Contains(err.Error(), `no metric "auc"`) {
		t.Errorf("unknown candidate metric: err = %v", err)
	}

	// By hand: promote v3, a no-op promote, then roll back twice.
	if moved, err := db.SetAlias(ctx, "intent", "champion", 3, Reason{Trigger: MoveByPromote, Note: "by hand"}); err != nil || !moved {
		t.Fatalf("promote v3: %v, %v", moved, err)
	}
	if moved, err := db.SetAlias(ctx, "intent", "champion", 3, Reason{}); err != nil || moved {
		t.Fatalf("promote v3 again: %v, %v", moved, err)
	}
	if _, err := db.SetAlias(ctx, "intent", "staging", 3, Reason{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{2, 1} {
		v, err := db.Rollback(ctx, "intent", "champion", Reason{Note: "bad release"})
		if err != nil || v != want {
			t.Fatalf("rollback: %d, %v (want %d)", v, err, want)
		}
		mv, _ := db.ResolveModel(ctx, "intent@champion")
		if mv.Version != want {
			t.Errorf("champion is %d after rollback, want %d", mv.Version, want)
		}
	}
	if _, err := db.Rollback(ctx, "intent", "champion", Reason{}); err == nil || !strings.Contains(err.Error(), "first set to version 1") {
		t.Errorf("rollback past the first move: err = %v", err)
	}
	if _, err := db.Rollback(ctx, "intent", "nope", Reason{}); err == nil || !strings.Contains(err.Error(), "no alias") {
		t.Errorf("rollback of a missing alias: err = %v", err)
	}
	for _, bad := range []string{"v2", "3", "latest", "-x", ""} {
		if _, err := db.SetAlias(ctx, "intent", bad, 1, Reason{}); err == nil {
			t.Errorf("alias %q accepted", bad)
		}
	}
	if _, err := db.SetAlias(ctx, "intent", "x", 7, Reason{}); err == nil || !strings.Contains(err.Error(), "no version 7") {
		t.Errorf("alias to a missing version: err = %v", err)
	}

	h, err := db.AliasHistory(ctx, "intent", "champion")
	if err != nil {
		t.Fatal(err)
	}
	type move struct {
		From, To int
		Trigger  string
		Undoes   int64
		Compared map[string]Comparison
	}
	var got []move
	for _, m := range h {
		got = append(got, move{m.From, m.To, m.Trigger, m.Undoes, m.Compared})
	}
	want := []move{
		{0, 1, MoveByPublish, 0, nil},
		{1, 2, MoveByPublish, 0, map[string]Comparison{"f1": {Candidate: 0.9, Incumbent: 0.8}}},
		{2, 3, MoveByPromote, 0, nil},
		{3, 2, MoveByRollback, h[2].ID, nil},
		{2, 1, MoveByRollback, h[1].ID, nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	all, _ := db.AliasHistory(ctx, "intent", "")
	if len(all) != len(h)+1 {
		t.Errorf("full history has %d moves, want %d", len(all), len(h)+1)
	}
	aliases, _ := db.Aliases(ctx, "intent")
	if len(aliases) != 2 || aliases[0].Name != "champion" || aliases[0].Version != 1 || aliases[1].Version != 3 {
		t.Errorf("aliases = %+v", aliases)
	}
	mv, _ := db.ResolveModel(ctx, "intent@3")
	if diff := cmp.Diff([]string{"staging"}, mv.Aliases); diff != "" {
		t.Errorf("v3 aliases (-want +got):\n%s", diff)
	}

	// History is append-only, even for someone with sqlite3.
	if _, err := db.idx.SQL().Exec(`UPDATE alias_history SET to_version = 3`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("update of alias_history: err = %v", err)
	}
	if _, err := db.idx.SQL().Exec(`DELETE FROM alias_history`); err == nil {
		t.Error("delete from alias_history succeeded")
	}
}

func TestPromoteIfNeedsSameEvalData(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	m1, m2 := digestOf("a1"), digestOf("a2")
	recordModels(t, db, m1, m2)
	db.CreateModelVersion(ctx, ModelVersion{Model: "m", ModelDigest: m1, EvalDataDigest: digestOf("e1"), Metrics: map[string]float64{"f1": 0.5}})
	db.CreateModelVersion(ctx, ModelVersion{Model: "m", ModelDigest: m2, EvalDataDigest: digestOf("e2"), Metrics: map[string]float64{"f1": 0.9}})
	if _, err := db.SetAlias(ctx, "m", "champion", 1, Reason{}); err != nil {
		t.Fatal(err)
	}
	rule := PromoteRule{Metric: "f1"}
	d, err := db.PromoteIf(ctx, "m", "champion", 2, rule, Reason{})
	if err != nil || d.Moved || !strings.Contains(d.Why, "other evaluation data") {
		t.Fatalf("different eval data: %+v, %v", d, err)
	}
	// The caller re-scored v1 on v2's evaluation data.
	rule.Rescored = map[int]float64{1: 0.95}
	if d, err = db.PromoteIf(ctx, "m", "champion", 2, rule, Reason{}); err != nil || d.Moved || d.IncumbentValue != 0.95 {
		t.Fatalf("rescored higher: %+v, %v", d, err)
	}
	rule.Rescored = map[int]float64{1: 0.6}
	if d, err = db.PromoteIf(ctx, "m", "champion", 2, rule, Reason{}); err != nil || !d.Moved {
		t.Fatalf("rescored lower: %+v, %v", d, err)
	}
	h, _ := db.AliasHistory(ctx, "m", "champion")
	if got := h[len(h)-1].Compared["f1"]; got != (Comparison{Candidate: 0.9, Incumbent: 0.6}) {
		t.Errorf("recorded comparison %+v", got)
	}
}
