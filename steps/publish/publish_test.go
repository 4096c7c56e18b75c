package publish_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"gocloud.dev/blob"

	"github.com/pipe-ml/pipe/engine/apply"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/store/gcstest"
	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/publish"
	"github.com/pipe-ml/pipe/steps/shared/media"
	"github.com/pipe-ml/pipe/steps/steptest"
)

// fixture is a step environment over a real registry, in which models and
// reports are recorded as a train and an evaluate execution would record
// them.
type fixture struct {
	t     *testing.T
	env   *steptest.Env
	reg   *registry.DB
	runID int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	env := steptest.NewEnv(t)
	reg, err := registry.Open(ctx, filepath.Join(t.TempDir(), "registry.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	runID, err := reg.BeginRun(ctx, registry.Run{Pipeline: "p", Trigger: registry.TriggerManual, PipeVersion: "test", GitCommit: "0123456789abcdef0123456789abcdef01234567"})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, env: env, reg: reg, runID: runID}
}

// candidate is a model with its report.
type candidate struct {
	model, report steps.Artifact
}

// candidate stores a model (its bytes set by seed) and a report of it
// with the given f1 and log_loss measured on evalData, and records the
// executions that produced them.
func (f *fixture) candidate(seed int, f1, logLoss float64, evalData string) candidate {
	f.t.Helper()
	ctx := context.Background()
	model := f.env.Put(media.Model.Type, fmt.Appendf(nil, `{"format":"pipe.model/v1","coef":[%d,1,2],"intercept":0.5}`, seed))
	data := f.env.Put("application/vnd.apache.arrow.file", []byte("eval data "+evalData))
	rep := map[string]any{
		"format":    "pipe.report/v1",
		"model":     map[string]any{"digest": model.Digest},
		"data":      map[string]any{"digest": data.Digest, "rows": 2000, "positives": 600},
		"threshold": 0.5,
		"metrics":   map[string]any{"f1": f1, "accuracy": 0.9, "log_loss": logLoss, "confusion": [][]int{{1, 2}, {3, 4}}},
	}
	b, _ := json.Marshal(rep)
	report := f.env.Put(media.Report.Type, b)
	ref := func(a steps.Artifact, name string) registry.ArtifactRef { return registry.ArtifactFromStep(a, name) }
	train, err := f.reg.RecordExecution(ctx, registry.Execution{
		RunID: f.runID, Step: "train.model", Kind: "train", KindVersion: "1", Status: registry.ExecRan,
		Config:   json.RawMessage(fmt.Sprintf(`{"params":{"C":%d}}`, seed)),
		Produced: []registry.ArtifactRef{ref(model, "model")},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	_ = train
	if _, err := f.reg.RecordExecution(ctx, registry.Execution{
		RunID: f.runID, Step: "evaluate.holdout", Kind: "evaluate", KindVersion: "1", Status: registry.ExecRan,
		Used:     []registry.ArtifactRef{ref(model, "model"), ref(data, "data")},
		Produced: []registry.ArtifactRef{ref(report, "report")},
	}); err != nil {
		f.t.Fatal(err)
	}
	return candidate{model: model, report: report}
}

// publish runs the step as apply would: its execution recorded as started,
// with the model and report it uses, and the registry handed to it.
func (f *fixture) publish(c candidate, attrs map[string]cty.Value, explain map[string]string) (steps.Outputs, error) {
	f.t.Helper()
	ctx := context.Background()
	execID, err := f.reg.StartExecution(ctx, registry.Execution{
		RunID: f.runID, Step: "publish.release", Kind: "publish", KindVersion: publish.Kind{}.Version(),
		Used: []registry.ArtifactRef{registry.ArtifactFromStep(c.model, "model"), registry.ArtifactFromStep(c.report, "report")},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	all := map[string]cty.Value{"model": c.model.Value(), "report": c.report.Value()}
	for k, v := range attrs {
		all[k] = v
	}
	env := f.env
	env.Env = env.Env.WithModels(&apply.Models{DB: f.reg, RunID: f.runID, ExecutionID: execID, Step: "publish.release"})
	for _, p := range steptest.Validate(f.t, publish.Kind{}, all) {
		if !p.Warning {
			return nil, p
		}
	}
	in, err := env.Inputs(publish.Kind{}, all)
	if err != nil {
		return nil, err
	}
	in.Explanations = explain
	return publish.Kind{}.Run(ctx, env, in)
}

func (f *fixture) mustPublish(c candidate, attrs map[string]cty.Value) steps.Outputs {
	f.t.Helper()
	out, err := f.publish(c, attrs, nil)
	if err != nil {
		f.t.Fatalf("publish: %v", err)
	}
	return out
}

func num(v cty.Value) int {
	if v.IsNull() {
		return 0
	}
	i, _ := v.AsBigFloat().Int64()
	return int(i)
}

func TestPublishLocalFolder(t *testing.T) {
	f := newFixture(t)
	c := f.candidate(1, 0.9, 0.3, "holdout")
	out := f.mustPublish(c, map[string]cty.Value{"to": cty.StringVal("models/privacy-intent"), "alias": cty.StringVal("champion")})
	dir := filepath.Join(f.env.Dir(), "models", "privacy-intent", "v1")
	if got := out["uri"].AsString(); got != "file://"+filepath.ToSlash(dir)+"/" {
		t.Errorf("uri = %s", got)
	}
	if out["name"].AsString() != "privacy-intent" || num(out["version"]) != 1 || !out["created"].True() ||
		!out["promoted"].True() || num(out["alias_version"]) != 1 {
		t.Errorf("outputs: %v", out)
	}
	// The files: the artifacts byte for byte, and the lineage.
	modelBytes, _ := os.ReadFile(filepath.Join(dir, "model.json"))
	if string(modelBytes) != string(f.env.Read(c.model.Value())) {
		t.Errorf("model.json is not the model artifact")
	}
	reportBytes, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	if string(reportBytes) != string(f.env.Read(c.report.Value())) {
		t.Errorf("report.json is not the report artifact")
	}
	var lineage struct {
		Format string `json:"format"`
		Model  struct {
			Name    string `json:"name"`
			Version int    `json:"version"`
			Digest  string `json:"digest"`
		} `json:"model"`
		Run struct {
			ID        int64  `json:"id"`
			GitCommit string `json:"git_commit"`
		} `json:"run"`
		Lineage registry.Graph `json:"lineage"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "lineage.json"))
	if err != nil || json.Unmarshal(b, &lineage) != nil {
		t.Fatalf("lineage.json: %v\n%s", err, b)
	}
	if lineage.Format != "pipe.lineage/v1" || lineage.Model.Version != 1 || lineage.Model.Digest != c.model.Digest ||
		lineage.Run.ID != f.runID || !strings.HasPrefix(lineage.Run.GitCommit, "0123456789ab") {
		t.Errorf("lineage.json header: %+v", lineage)
	}
	var steps []string
	for _, n := range lineage.Lineage.Nodes {
		if n.Type == registry.NodeExecution {
			steps = append(steps, n.Execution.Step)
		}
	}
	if len(steps) != 1 || steps[0] != "train.model" {
		t.Errorf("lineage.json executions: %v, want the train execution", steps)
	}

	// The registry: the version, its metrics (numbers only) and
	// evaluation data, linked to the publish execution; the alias move.
	v, err := f.reg.ResolveModel(context.Background(), "privacy-intent@champion")
	if err != nil {
		t.Fatal(err)
	}
	if v.Version != 1 || v.ModelDigest != c.model.Digest || v.ReportDigest != c.report.Digest || v.Metrics["f1"] != 0.9 ||
		len(v.Metrics) != 3 || v.EvalDataDigest == "" || v.RunID != f.runID || v.ExecutionID == 0 || v.URI != out["uri"].AsString() {
		t.Errorf("version: %+v", v)
	}
	hist, _ := f.reg.AliasHistory(context.Background(), "privacy-intent", "champion")
	if len(hist) != 1 || hist[0].Trigger != registry.MoveByPublish || hist[0].RunID != f.runID || hist[0].Note != "publish.release" {
		t.Errorf("history: %+v", hist)
	}
	g, err := f.reg.Upstream(context.Background(), "privacy-intent@1", nil)
	if err != nil || g.Node(fmt.Sprintf("execution:%d", v.ExecutionID)) == nil {
		t.Errorf("lineage of the version does not lead to the publish execution: %v", err)
	}
}

func TestSameModelTwiceMakesNoVersion(t *testing.T) {
	f := newFixture(t)
	c := f.candidate(1, 0.9, 0.3, "holdout")
	attrs := map[string]cty.Value{"to": cty.StringVal("out/m")}
	first := f.mustPublish(c, attrs)
	dir := filepath.Join(f.env.Dir(), "out", "m", "v1")
	before, _ := os.Stat(filepath.Join(dir, "lineage.json"))

	second := f.mustPublish(c, attrs)
	if num(second["version"]) != 1 || second["created"].True() || second["uri"].AsString() != first["uri"].AsString() {
		t.Errorf("second publish: %v", second)
	}
	after, _ := os.Stat(filepath.Join(dir, "lineage.json"))
	if !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("lineage.json was rewritten")
	}
	d, _ := f.reg.Model(context.Background(), "m")
	if len(d.Versions) != 1 {
		t.Errorf("%d versions, want 1", len(d.Versions))
	}
	if second["alias_version"].IsNull() != true || second["promoted"].True() {
		t.Errorf("no alias: %v", second)
	}

	// A deleted file comes back; the others are left alone.
	os.Remove(filepath.Join(dir, "report.json"))
	f.mustPublish(c, attrs)
	if _, err := os.Stat(filepath.Join(dir, "report.json")); err != nil {
		t.Errorf("report.json not written again: %v", err)
	}

	// A new model is version 2.
	out := f.mustPublish(f.candidate(2, 0.8, 0.3, "holdout"), attrs)
	if num(out["version"]) != 2 || !out["created"].True() || !strings.HasSuffix(out["uri"].AsString(), "/out/m/v2/") {
		t.Errorf("new model: %v", out)
	}
}

func TestRequireBlocks(t *testing.T) {
	f := newFixture(t)
	c := f.candidate(1, 0.81, 0.3, "holdout")
	expl := map[string]string{"require": "evaluate.holdout.f1 >= 0.85 (evaluate.holdout.f1 = 0.81)"}
	_, err := f.publish(c, map[string]cty.Value{"to": cty.StringVal("out/m"), "require": cty.False}, expl)
	var ae *steps.AttrError
	if !errors.As(err, &ae) || steps.FormatPath(ae.Path) != "require" {
		t.Fatalf("err = %v, want an AttrError on require", err)
	}
	if !strings.Contains(ae.Detail, expl["require"]+" is false") {
		t.Errorf("the error does not show the expression and its values: %s", ae.Detail)
	}
	if _, err := os.Stat(filepath.Join(f.env.Dir(), "out")); !os.IsNotExist(err) {
		t.Errorf("a blocked publish wrote files: %v", err)
	}
	if ms, _ := f.reg.Models(context.Background()); len(ms) != 0 {
		t.Errorf("a blocked publish recorded %v", ms)
	}
	// Plan warns when it already knows.
	probs := steptest.Validate(t, publish.Kind{}, map[string]cty.Value{
		"model": c.model.Value(), "report": c.report.Value(), "to": cty.StringVal("out/m"), "require": cty.False,
	})
	if len(probs) != 1 || !probs[0].Warning {
		t.Errorf("Validate with require = false: %v", probs)
	}
	out, err := f.publish(c, map[string]cty.Value{"to": cty.StringVal("out/m"), "require": cty.True}, nil)
	if err != nil || num(out["version"]) != 1 {
		t.Errorf("require = true: %v %v", out, err)
	}
}

func TestPromoteIf(t *testing.T) {
	f := newFixture(t)
	rule := func(metric string, minDelta float64) map[string]cty.Value {
		return map[string]cty.Value{
			"to": cty.StringVal("out/m"), "alias": cty.StringVal("champion"),
			"promote_if": cty.ObjectVal(map[string]cty.Value{"metric": cty.StringVal(metric), "min_delta": cty.NumberFloatVal(minDelta)}),
		}
	}
	// No champion yet: the first version takes it.
	out := f.mustPublish(f.candidate(1, 0.80, 0.40, "holdout"), rule("f1", 0))
	if !out["promoted"].True() || num(out["alias_version"]) != 1 {
		t.Fatalf("first: %v", out)
	}
	// Better on the same data: promoted.
	out = f.mustPublish(f.candidate(2, 0.85, 0.35, "holdout"), rule("f1", 0))
	if !out["promoted"].True() || num(out["alias_version"]) != 2 {
		t.Errorf("better: %v", out)
	}
	// Better, but not by more than min_delta: kept, with a warning.
	out = f.mustPublish(f.candidate(3, 0.86, 0.30, "holdout"), rule("f1", 0.05))
	if out["promoted"].True() || num(out["alias_version"]) != 2 || num(out["version"]) != 3 {
		t.Errorf("not enough better: %v", out)
	}
	// Worse: kept.
	out = f.mustPublish(f.candidate(4, 0.70, 0.20, "holdout"), rule("f1", 0))
	if out["promoted"].True() || num(out["alias_version"]) != 2 {
		t.Errorf("worse: %v", out)
	}
	// log_loss is better lower, without saying so: 0.20 < 0.35.
	out = f.mustPublish(f.candidate(5, 0.70, 0.20, "holdout"), rule("log_loss", 0))
	if !out["promoted"].True() || num(out["alias_version"]) != 5 {
		t.Errorf("lower log_loss: %v", out)
	}
	// Better, but measured on other data: kept, and the warning says why.
	before := len(f.env.Warnings())
	out = f.mustPublish(f.candidate(6, 0.99, 0.01, "other holdout"), rule("f1", 0))
	if out["promoted"].True() || num(out["alias_version"]) != 5 {
		t.Errorf("other data: %v", out)
	}
	ws := f.env.Warnings()[before:]
	if len(ws) != 1 || !strings.Contains(ws[0].Detail, "other evaluation data") || ws[0].Summary != "Not promoted" || !strings.Contains(ws[0].Detail, "kept m@champion at version 5") {
		t.Errorf("warnings: %+v", ws)
	}
	// The history holds every move, with the metrics compared.
	hist, _ := f.reg.AliasHistory(context.Background(), "m", "champion")
	var moves []string
	for _, h := range hist {
		moves = append(moves, fmt.Sprintf("%d->%d", h.From, h.To))
	}
	if strings.Join(moves, " ") != "0->1 1->2 2->5" || hist[1].Compared["f1"].Incumbent != 0.80 {
		t.Errorf("history: %v %+v", moves, hist)
	}
	// A metric the report does not have.
	_, err := f.publish(f.candidate(7, 0.9, 0.1, "holdout"), rule("auc", 0), nil)
	if err == nil || !strings.Contains(err.Error(), "no metric \"auc\"") || !strings.Contains(err.Error(), "f1, log_loss") {
		t.Errorf("unknown metric: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	f := newFixture(t)
	a := f.candidate(1, 0.9, 0.3, "holdout")
	b := f.candidate(2, 0.9, 0.3, "holdout")
	// A report of another model.
	_, err := f.publish(candidate{model: a.model, report: b.report}, map[string]cty.Value{"to": cty.StringVal("out/m")}, nil)
	if err == nil || !strings.Contains(err.Error(), "Report of another model") {
		t.Errorf("mismatched report: %v", err)
	}
	// Artifacts of the wrong kind.
	text := f.env.Put("text/plain", []byte("x"))
	if _, err := f.publish(candidate{model: text, report: a.report}, map[string]cty.Value{"to": cty.StringVal("out/m")}, nil); err == nil || !strings.Contains(err.Error(), "model is an artifact of type text/plain, not a model") {
		t.Errorf("text as model: %v", err)
	}
	// Without a registry.
	env := steptest.NewEnv(t)
	_, err = env.Run(publish.Kind{}, map[string]cty.Value{"model": a.model.Value(), "report": a.report.Value(), "to": cty.StringVal("out/m")})
	if err == nil || !strings.Contains(err.Error(), "no model registry") {
		t.Errorf("no registry: %v", err)
	}
	// Validation.
	for _, c := range []struct {
		attrs map[string]cty.Value
		want  string
	}{
		{map[string]cty.Value{"to": cty.StringVal("gs://bucket/a b")}, "No model name"},
		{map[string]cty.Value{"to": cty.StringVal("out"), "name": cty.StringVal("-x")}, "Invalid model name"},
		{map[string]cty.Value{"to": cty.StringVal("out"), "alias": cty.StringVal("v2")}, "Invalid alias"},
		{map[string]cty.Value{"to": cty.StringVal("out"), "promote_if": cty.ObjectVal(map[string]cty.Value{"metric": cty.StringVal("f1")})}, "promote_if without alias"},
		{map[string]cty.Value{"to": cty.StringVal("out"), "alias": cty.StringVal("c"), "promote_if": cty.ObjectVal(map[string]cty.Value{"metric": cty.StringVal("f1"), "min_delta": cty.NumberIntVal(-1)})}, "Invalid promote_if.min_delta"},
		{map[string]cty.Value{"to": cty.StringVal("")}, "Empty destination"},
	} {
		c.attrs["model"], c.attrs["report"] = a.model.Value(), a.report.Value()
		probs := steptest.Validate(t, publish.Kind{}, c.attrs)
		if len(probs) != 1 || probs[0].Summary != c.want {
			t.Errorf("Validate(%v) = %v, want %q", c.attrs, probs, c.want)
		}
	}
}

// A publish that dies after writing some files leaves no version; the
// next one finishes the job under the same number. A folder holding
// another model is never overwritten.
func TestFailureHalfWay(t *testing.T) {
	f := newFixture(t)
	c := f.candidate(1, 0.9, 0.3, "holdout")
	attrs := map[string]cty.Value{"to": cty.StringVal("out/m"), "alias": cty.StringVal("champion")}
	dir := filepath.Join(f.env.Dir(), "out", "m", "v1")
	// A folder where report.json should go makes its write fail.
	if err := os.MkdirAll(filepath.Join(dir, "report.json", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := f.publish(c, attrs, nil); err == nil || !strings.Contains(err.Error(), "report.json") {
		t.Fatalf("publish over a broken folder: %v", err)
	}
	if ms, _ := f.reg.Models(context.Background()); len(ms) != 0 {
		t.Fatalf("a failed publish recorded %v", ms)
	}
	if _, err := os.Stat(filepath.Join(dir, "model.json")); err != nil {
		t.Fatalf("model.json was not written first: %v", err)
	}
	os.RemoveAll(filepath.Join(dir, "report.json"))
	out := f.mustPublish(c, attrs)
	if num(out["version"]) != 1 || !out["created"].True() || !out["promoted"].True() {
		t.Errorf("resumed publish: %v", out)
	}
	for _, name := range []string{"model.json", "report.json", "lineage.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	// v2/ holds a stray model (a reset registry, another registry): the
	// next version refuses to take it over.
	stray := filepath.Join(f.env.Dir(), "out", "m", "v2")
	os.MkdirAll(stray, 0o755)
	os.WriteFile(filepath.Join(stray, "model.json"), []byte(`{"someone":"else"}`), 0o644)
	_, err := f.publish(f.candidate(2, 0.95, 0.2, "holdout"), attrs, nil)
	var ae *steps.AttrError
	if !errors.As(err, &ae) || ae.Summary != "Version folder taken" {
		t.Fatalf("stray folder: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(stray, "model.json")); string(b) != `{"someone":"else"}` {
		t.Errorf("the stray model.json was overwritten")
	}
	if _, err := os.Stat(filepath.Join(stray, "report.json")); !os.IsNotExist(err) {
		t.Errorf("files were written beside the stray model")
	}
	if v, _ := f.reg.ResolveModel(context.Background(), "m@champion"); v.Version != 1 {
		t.Errorf("champion moved to %d", v.Version)
	}
}

func TestPublishGCS(t *testing.T) {
	srv := gcstest.Start(t)
	f := newFixture(t)
	c := f.candidate(1, 0.9, 0.3, "holdout")
	to := srv.URL() + "/privacy-models/privacy-intent"
	out := f.mustPublish(c, map[string]cty.Value{"to": cty.StringVal(to), "alias": cty.StringVal("champion")})
	if out["uri"].AsString() != to+"/v1/" || out["name"].AsString() != "privacy-intent" {
		t.Errorf("outputs: %v", out)
	}
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, name := range []string{"model.json", "report.json", "lineage.json"} {
		if ok, err := b.Exists(ctx, "privacy-models/privacy-intent/v1/"+name); !ok || err != nil {
			t.Errorf("%s in GCS: %v %v", name, ok, err)
		}
	}
	got, _ := b.ReadAll(ctx, "privacy-models/privacy-intent/v1/model.json")
	if string(got) != string(f.env.Read(c.model.Value())) {
		t.Errorf("model.json in GCS is not the model")
	}
	// Same model again: nothing new. Another model on a taken folder:
	// refused, the conditional write holding on GCS too.
	again := f.mustPublish(c, map[string]cty.Value{"to": cty.StringVal(to)})
	if again["created"].True() || num(again["version"]) != 1 {
		t.Errorf("again: %v", again)
	}
	if err := b.WriteAll(ctx, "privacy-models/privacy-intent/v2/model.json", []byte("stray"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.publish(f.candidate(2, 0.9, 0.3, "holdout"), map[string]cty.Value{"to": cty.StringVal(to)}, nil); err == nil || !strings.Contains(err.Error(), "Version folder taken") {
		t.Errorf("stray folder in GCS: %v", err)
	}
	if got, _ := b.ReadAll(ctx, "privacy-models/privacy-intent/v2/model.json"); string(got) != "stray" {
		t.Errorf("the stray object was overwritten: %q", got)
	}
}
