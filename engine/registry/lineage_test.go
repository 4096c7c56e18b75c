package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sha returns the real SHA-256 digest of s.
func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(h[:])
}

// pipelineHistory records what three applies of the privacy-intent
// pipeline would record:
//
//	run 1 (manual, dirty checkout): every step runs, publish makes v1,
//	  which becomes champion;
//	run 2 (schedule): nothing changed, every step is cached, publish
//	  publishes the same model again (no new version);
//	run 3 (ci): data/corpus.csv changed, every step runs, publish makes
//	  v2, which beats v1 and becomes champion; predict scores
//	  data/new.csv with it.
type pipelineHistory struct {
	file1, file2, newFile          string
	train1, test1, train2, test2   string
	trials1, trials2               string
	model1, model2                 string
	report1, report2, predictions  string
	run1, run2, run3               int64
	publish1, publish3, trainExec3 int64
}

func recordHistory(t testing.TB, db *DB) *pipelineHistory {
	t.Helper()
	ctx := context.Background()
	h := &pipelineHistory{
		file1: sha("corpus.csv v1"), file2: sha("corpus.csv v2"), newFile: sha("new.csv"),
		train1: sha("train split 1"), test1: sha("test split 1"), train2: sha("train split 2"), test2: sha("test split 2"),
		trials1: sha("trials 1"), trials2: sha("trials 2"),
		model1: sha("model 1"), model2: sha("model 2"),
		report1: sha("report 1"), report2: sha("report 2"), predictions: sha("predictions"),
	}
	must := func(id int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	dirty, clean := true, false
	commit1, commit3 := "4f1c2a9be07d4b1e8c3a5f6d7e8f90a1b2c3d4e5", "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"
	store := "file:///srv/pipe/store/objects/sha256/"
	stored := func(digest, media string, size int64, name string) ArtifactRef {
		return ArtifactRef{Digest: digest, MediaType: media, Size: size, Kind: labelOf(media), Name: name, URI: store + strings.TrimPrefix(digest, "sha256:")[:12]}
	}
	file := func(digest string, size int64, path string) ArtifactRef {
		return ArtifactRef{Digest: digest, MediaType: "text/csv", Size: size, Kind: KindFile, Name: "path", Path: path}
	}

	type apply struct {
		trigger          string
		commit           string
		dirty            *bool
		status           string // ran or cached
		file, tr, te     string
		trials, model    string
		report           string
		f1               float64
		best             string
		predict          bool
		runID, publishID *int64
	}
	var train3 int64
	for _, a := range []apply{
		{TriggerManual, commit1, &dirty, ExecRan, h.file1, h.train1, h.test1, h.trials1, h.model1, h.report1, 0.87, `{"C":1.5,"penalty":"l2","class_weight":"balanced"}`, false, &h.run1, &h.publish1},
		{TriggerSchedule, commit1, &clean, ExecCached, h.file1, h.train1, h.test1, h.trials1, h.model1, h.report1, 0.87, `{"C":1.5,"penalty":"l2","class_weight":"balanced"}`, false, &h.run2, nil},
		{TriggerCI, commit3, &clean, ExecRan, h.file2, h.train2, h.test2, h.trials2, h.model2, h.report2, 0.91, `{"C":0.8,"penalty":"l1","class_weight":"none"}`, true, &h.run3, &h.publish3},
	} {
		run := must(db.BeginRun(ctx, Run{Pipeline: "privacy-intent", Trigger: a.trigger, ConfigDigest: sha("config " + a.commit),
			GitCommit: a.commit, GitDirty: a.dirty, GitBranch: "main", PipeVersion: "0.1.0", Host: "builder", StoreURL: "file:///srv/pipe/store"}))
		*a.runID = run
		exec := func(step, kind string, cfg, outputs string, used, produced []ArtifactRef, deps []Dependency) int64 {
			return must(db.RecordExecution(ctx, Execution{RunID: run, Step: step, Kind: kind, KindVersion: "1", Status: a.status,
				CacheKey: sha("key " + step + " " + a.file), Config: json.RawMessage(cfg), Outputs: json.RawMessage(outputs),
				Used: used, Produced: produced, DependsOn: deps}))
		}
		exec("load.corpus", "load", `{"path":"data/corpus.csv","label":"label","split":{"test":0.2,"seed":7}}`, `{"rows":1000,"positives":310}`,
			[]ArtifactRef{file(a.file, 58_000, "data/corpus.csv")},
			[]ArtifactRef{stored(a.tr, "application/vnd.apache.arrow.file", 40_960, "train"), stored(a.te, "application/vnd.apache.arrow.file", 10_240, "test")}, nil)
		search := exec("search.lr", "search", `{"strategy":"grid","folds":5,"metric":"f1"}`, `{"best":`+a.best+`,"best_score":0.86}`,
			[]ArtifactRef{stored(a.tr, "application/vnd.apache.arrow.file", 40_960, "data")},
			[]ArtifactRef{stored(a.trials, "application/vnd.pipe.trials.v1+json", 2_048, "trials")}, nil)
		train := exec("train.model", "train", `{"params":`+a.best+`}`, `{"converged":true,"iterations":31}`,
			[]ArtifactRef{stored(a.tr, "application/vnd.apache.arrow.file", 40_960, "data")},
			[]ArtifactRef{stored(a.model, "application/vnd.pipe.model.v1+json", 4_800, "model")},
			[]Dependency{{ExecutionID: search, Name: "search.lr.best"}})
		if a.trigger == TriggerCI {
			train3 = train
		}
		exec("evaluate.holdout", "evaluate", `{"threshold":0.5}`, `{"f1":`+jsonFloat(a.f1)+`}`,
			[]ArtifactRef{stored(a.model, "application/vnd.pipe.model.v1+json", 4_800, "model"), stored(a.te, "application/vnd.apache.arrow.file", 10_240, "data")},
			[]ArtifactRef{stored(a.report, "application/vnd.pipe.report.v1+json", 1_500, "report")}, nil)
		// publish always runs: it is not cacheable.
		pub := must(db.RecordExecution(ctx, Execution{RunID: run, Step: "publish.release", Kind: "publish", KindVersion: "1", Status: ExecRan,
			Config: json.RawMessage(`{"to":"gs://privacy-models/privacy-intent","alias":"champion"}`),
			Used:   []ArtifactRef{stored(a.model, "application/vnd.pipe.model.v1+json", 4_800, "model"), stored(a.report, "application/vnd.pipe.report.v1+json", 1_500, "report")}}))
		v, created, err := db.CreateModelVersion(ctx, ModelVersion{Model: "privacy-intent", ModelDigest: a.model, ReportDigest: a.report,
			Metrics: map[string]float64{"f1": a.f1, "accuracy": 0.9}, EvalDataDigest: sha("shared holdout"),
			URI: "gs://privacy-models/privacy-intent/v{version}/", RunID: run, ExecutionID: pub})
		if err != nil {
			t.Fatal(err)
		}
		if created {
			*a.publishID = pub
			if _, err := db.PromoteIf(ctx, "privacy-intent", "champion", v, PromoteRule{Metric: "f1"}, Reason{RunID: run}); err != nil {
				t.Fatal(err)
			}
		}
		if a.predict {
			exec("predict.batch", "predict", `{"to":"gs://privacy-scores/daily"}`, `{}`,
				[]ArtifactRef{stored(a.model, "application/vnd.pipe.model.v1+json", 4_800, "model"), file(h.newFile, 9_000, "data/new.csv")},
				[]ArtifactRef{stored(h.predictions, "application/vnd.apache.parquet", 3_000, "predictions")}, nil)
		}
		if err := db.EndRun(ctx, run, RunSucceeded, ""); err != nil {
			t.Fatal(err)
		}
	}
	h.trainExec3 = train3
	return h
}

func jsonFloat(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it); got:\n%s", path, got)
	}
}

// checkGraph compares the graph's JSON encoding, the answer pipe lineage
// -json prints, with testdata/base.json. The CLI's views render the same
// files as trees and DOT (cmd/pipe/internal/views/testdata/lineage).
func checkGraph(t *testing.T, g *Graph, base string) {
	t.Helper()
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, base+".json", append(b, '\n'))
}

func historyDB(t *testing.T) (*DB, *pipelineHistory) {
	t.Helper()
	db := openTest(t)
	return db, recordHistory(t, db)
}

func TestUpstreamOfChampion(t *testing.T) {
	db, h := historyDB(t)
	ctx := context.Background()
	g, err := db.Upstream(ctx, "privacy-intent@champion", nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Truncated {
		t.Error("graph truncated")
	}
	// The champion is v2, from run 3: the walk stays in run 3.
	if diff := strings.Join(g.Roots, ","); diff != "model:privacy-intent@2" {
		t.Fatalf("roots = %v", g.Roots)
	}
	for _, want := range []string{
		"artifact:" + h.file2, "artifact:" + h.model2, "artifact:" + h.train2, "artifact:" + h.report2, "artifact:" + h.test2,
		"execution:" + itoa(h.publish3), "execution:" + itoa(h.trainExec3), "run:" + itoa(h.run3),
	} {
		if g.Node(want) == nil {
			t.Errorf("upstream lacks %s", want)
		}
	}
	for _, n := range g.Nodes {
		if n.Type == NodeExecution && n.Execution.RunID != h.run3 {
			t.Errorf("upstream of v2 reaches %s of run %d", n.Execution.Step, n.Execution.RunID)
		}
		if n.Type == NodeArtifact && (n.Artifact.Digest == h.file1 || n.Artifact.Digest == h.predictions) {
			t.Errorf("upstream of v2 reaches %s", n.Artifact.Digest)
		}
	}
	// train.model used search.lr's best params.
	var found bool
	for _, e := range g.Edges {
		if e.Type == EdgeInput && e.To == "execution:"+itoa(h.trainExec3) && e.Name == "search.lr.best" {
			found = true
		}
	}
	if !found {
		t.Errorf("no input edge from search.lr to train.model: %+v", g.Edges)
	}
	// The search that chose the params shows them and the trials table it
	// produced, though no later step used the table; run 1's trials are
	// not there.
	var search *Node
	for i, n := range g.Nodes {
		if n.Type == NodeExecution && n.Execution.Step == "search.lr" {
			search = &g.Nodes[i]
		}
	}
	if search == nil || !strings.Contains(string(search.Execution.Outputs), `"best":{"C":0.8`) {
		t.Fatalf("upstream lacks search.lr with its chosen params: %+v", search)
	}
	if n := g.Node("artifact:" + h.trials2); n == nil || n.Artifact.Kind != "trials" {
		t.Errorf("upstream lacks search.lr's trials %s", h.trials2)
	}
	if !hasEdge(g, Edge{From: search.ID, To: "artifact:" + h.trials2, Type: EdgeProduced, Name: "trials"}) {
		t.Errorf("no produced edge from search.lr to its trials: %+v", g.Edges)
	}
	if g.Node("artifact:"+h.trials1) != nil {
		t.Errorf("upstream of v2 reaches run 1's trials")
	}
	checkGraph(t, g, "upstream_champion")
}

func hasEdge(g *Graph, want Edge) bool {
	for _, e := range g.Edges {
		if e == want {
			return true
		}
	}
	return false
}

// Outputs of upstream executions are leaves: two executions that made
// the same bytes do not pull each other's inputs into the graph.
func TestUpstreamProducedIsALeaf(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	run, err := db.BeginRun(ctx, Run{Pipeline: "p", Trigger: TriggerManual, PipeVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	empty, a, b, out := sha(""), sha("a"), sha("b"), sha("out")
	art := func(d, name string) ArtifactRef {
		return ArtifactRef{Digest: d, MediaType: "text/plain", Size: 1, Name: name}
	}
	exec := func(step string, used, produced []ArtifactRef) int64 {
		id, err := db.RecordExecution(ctx, Execution{RunID: run, Step: step, Kind: "k", KindVersion: "1", Status: ExecRan, Used: used, Produced: produced})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	// other.x read b and wrote the empty file; main.x read a and wrote
	// the empty file too, and out, which is what we ask about.
	exec("other.x", []ArtifactRef{art(b, "in")}, []ArtifactRef{art(empty, "log")})
	main := exec("main.x", []ArtifactRef{art(a, "in")}, []ArtifactRef{art(empty, "log"), art(out, "out")})
	g, err := db.Upstream(ctx, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range g.Nodes {
		got = append(got, n.ID)
	}
	want := []string{"execution:" + itoa(main), "artifact:" + a, "artifact:" + empty, "artifact:" + out, "run:" + itoa(run)}
	sort.Strings(want[1:4])
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("nodes:\n got %v\nwant %v", got, want)
	}
	// The execution's other output is in the graph, as a leaf: a tree
	// shows it beside the one asked about.
	if !hasEdge(g, Edge{From: "execution:" + itoa(main), To: "artifact:" + empty, Type: EdgeProduced, Name: "log"}) {
		t.Errorf("no produced edge to the other output: %+v", g.Edges)
	}
}

func TestUpstreamOfCachedRun(t *testing.T) {
	db, h := historyDB(t)
	ctx := context.Background()
	// The model artifact of v1, as run 2's publish used it: run 2's steps
	// were all cached, and the walk shows where the cache came from.
	g, err := db.Upstream(ctx, h.model1[:7+16], nil)
	if err != nil {
		t.Fatal(err)
	}
	checkGraph(t, g, "upstream_model1_digest")
	// A bare digest has no run to prefer: the producer is the first that ran.
	for _, n := range g.Nodes {
		if n.Type == NodeExecution && n.Execution.RunID != h.run1 {
			t.Errorf("upstream of a digest reaches %s of run %d, want run %d", n.Execution.Step, n.Execution.RunID, h.run1)
		}
	}
}

func TestDownstreamOfFile(t *testing.T) {
	db, h := historyDB(t)
	ctx := context.Background()
	g, err := db.Downstream(ctx, "./data/corpus.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Roots) != 2 || g.Roots[0] > g.Roots[1] {
		t.Fatalf("roots = %v, want both digests of data/corpus.csv", g.Roots)
	}
	for _, want := range []string{"model:privacy-intent@1", "model:privacy-intent@2", "artifact:" + h.predictions,
		"run:" + itoa(h.run1), "run:" + itoa(h.run2), "run:" + itoa(h.run3)} {
		if g.Node(want) == nil {
			t.Errorf("downstream lacks %s", want)
		}
	}
	if g.Node("artifact:"+h.newFile) != nil {
		t.Error("downstream of data/corpus.csv reaches data/new.csv, an input of predict")
	}
	checkGraph(t, g, "downstream_corpus")
}

func TestDownstreamOfModelVersion(t *testing.T) {
	db, h := historyDB(t)
	g, err := db.Downstream(context.Background(), "privacy-intent@2", nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Node("artifact:"+h.predictions) == nil {
		t.Error("downstream of v2 lacks its predictions")
	}
	if g.Node("model:privacy-intent@1") != nil {
		t.Error("downstream of v2 reaches v1")
	}
	checkGraph(t, g, "downstream_v2")
}

func TestLineageRefs(t *testing.T) {
	db, h := historyDB(t)
	ctx := context.Background()
	for ref, root := range map[string]string{
		"privacy-intent@1":                            "model:privacy-intent@1",
		"privacy-intent@v2":                           "model:privacy-intent@2",
		"privacy-intent@latest":                       "model:privacy-intent@2",
		h.predictions:                                 "artifact:" + h.predictions,
		h.predictions[:7+12]:                          "artifact:" + h.predictions,
		strings.TrimPrefix(h.newFile, "sha256:")[:20]: "artifact:" + h.newFile,
		"data/new.csv":                                "artifact:" + h.newFile,
	} {
		g, err := db.Upstream(ctx, ref, nil)
		if err != nil {
			t.Errorf("%s: %v", ref, err)
			continue
		}
		if len(g.Roots) != 1 || g.Roots[0] != root {
			t.Errorf("%s: roots %v, want %s", ref, g.Roots, root)
		}
	}
	for ref, want := range map[string]string{
		"privacy-intent@staging":            `no alias "staging"; its aliases are champion`,
		"nope@1":                            `no model named "nope"`,
		"data/missing.csv":                  "nothing in the registry matches",
		"sha256:0000":                       "too short",
		"sha256:" + strings.Repeat("0", 64): "no artifact",
		"":                                  "no reference",
	} {
		if _, err := db.Downstream(ctx, ref, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", ref, err, want)
		}
	}
}

func TestLineageDepthLimit(t *testing.T) {
	db, _ := historyDB(t)
	g, err := db.Upstream(context.Background(), "privacy-intent@2", &LineageOptions{MaxDepth: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !g.Truncated {
		t.Error("a depth-2 walk of a 7-deep graph is not marked truncated")
	}
	// version <- publish <- {model, report}: 3 edges.
	if len(g.Edges) != 3 {
		t.Errorf("%d edges at depth 2, want 3: %+v", len(g.Edges), g.Edges)
	}
	full, err := db.Upstream(context.Background(), "privacy-intent@2", nil)
	if err != nil {
		t.Fatal(err)
	}
	var walked int
	for _, n := range full.Nodes {
		if n.Type != NodeRun {
			walked++
		}
	}
	g, err = db.Upstream(context.Background(), "privacy-intent@2", &LineageOptions{MaxNodes: walked})
	if err != nil || g.Truncated || len(g.Edges) != len(full.Edges) {
		t.Errorf("a walk limited to exactly its node count: truncated %v, %d edges of %d, err %v", g.Truncated, len(g.Edges), len(full.Edges), err)
	}
	g, err = db.Upstream(context.Background(), "privacy-intent@2", &LineageOptions{MaxNodes: walked - 1})
	if err != nil || !g.Truncated {
		t.Errorf("a walk limited below its node count: truncated %v, err %v", g.Truncated, err)
	}
}

// A digest that is both an output and, later, an input file of another
// pipeline links the two: lineage crosses pipelines through content.
func TestLineageAcrossPipelines(t *testing.T) {
	db, h := historyDB(t)
	ctx := context.Background()
	run, _ := db.BeginRun(ctx, Run{Pipeline: "reporting", Trigger: TriggerSchedule, PipeVersion: "0.1.0", Started: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)})
	if _, err := db.RecordExecution(ctx, Execution{RunID: run, Step: "load.scores", Kind: "load", KindVersion: "1", Status: ExecRan,
		Used: []ArtifactRef{{Digest: h.predictions, MediaType: "application/vnd.apache.parquet", Size: 3000, Kind: KindFile, Path: "scores/daily.parquet"}}}); err != nil {
		t.Fatal(err)
	}
	g, err := db.Upstream(ctx, "scores/daily.parquet", nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Node("artifact:"+h.file2) == nil {
		t.Error("upstream of a file that another pipeline produced does not reach that pipeline's input")
	}
	g, err = db.Downstream(ctx, "data/new.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	var reached bool
	for _, n := range g.Nodes {
		if n.Type == NodeExecution && n.Execution.Step == "load.scores" {
			reached = true
		}
	}
	if !reached {
		t.Error("downstream of data/new.csv does not reach the reporting pipeline")
	}
}

func itoa(i int64) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// A version recorded without its publish execution hangs off its model
// and report artifacts instead.
func TestLineageOfVersionWithoutExecution(t *testing.T) {
	db, h := historyDB(t)
	ctx := context.Background()
	if _, _, err := db.CreateModelVersion(ctx, ModelVersion{Model: "imported", ModelDigest: h.model1, ReportDigest: h.report1}); err != nil {
		t.Fatal(err)
	}
	g, err := db.Upstream(ctx, "imported@1", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[Edge]bool{
		{From: "artifact:" + h.model1, To: "model:imported@1", Type: EdgeVersion, Name: "model"}:   true,
		{From: "artifact:" + h.report1, To: "model:imported@1", Type: EdgeVersion, Name: "report"}: true,
	}
	for _, e := range g.Edges {
		delete(want, e)
	}
	if len(want) != 0 {
		t.Errorf("upstream lacks %v; edges %v", want, g.Edges)
	}
	if g.Node("artifact:"+h.file1) == nil {
		t.Error("upstream of an imported version does not reach the data file")
	}
	g, err = db.Downstream(ctx, h.report1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Node("model:imported@1") == nil {
		t.Error("downstream of the report does not reach the imported version")
	}
}
