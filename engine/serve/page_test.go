package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/api"
	"github.com/pipe-ml/pipe/engine/serve/applies"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/steps"
)

// The media types of the artifacts publish puts: those of engine/testkinds'
// fakemodel, whose report (in evaluate's shape) the kind describes, naming
// its plot.
const (
	mediaModel  = "application/vnd.pipe.model.v1+json"
	mediaReport = "application/vnd.pipe.report.v1+json"
	mediaPNG    = "image/png"
)

// published puts a model version in the store and the registry the way a
// publish step would: a model, a report naming a PNG plot, the plot, and
// a dataset that is no business of /artifacts; champion points at it.
type published struct {
	model, report, plot, dataset steps.Artifact
	plotBytes                    []byte
}

func publish(t *testing.T, state string) published {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "file://"+filepath.Join(state, "store"), state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, 7-i, color.RGBA{200, 30, 30, 255})
	}
	var pngBytes bytes.Buffer
	if err := png.Encode(&pngBytes, img); err != nil {
		t.Fatal(err)
	}
	var p published
	p.plotBytes = pngBytes.Bytes()
	put := func(mediaType string, b []byte) steps.Artifact {
		a, err := st.PutBytes(ctx, mediaType, b)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	p.plot = put(mediaPNG, p.plotBytes)
	p.model = put(mediaModel, []byte(`{"coef": [1, 2]}`))
	p.dataset = put("application/json", []byte(`{"rows": 3}`))
	report, _ := json.Marshal(map[string]any{
		"f1":   0.9,
		"plot": map[string]string{"digest": p.plot.Digest, "media_type": mediaPNG},
	})
	p.report = put(mediaReport, report)

	db, err := registry.Open(ctx, filepath.Join(state, "registry.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run, err := db.BeginRun(ctx, registry.Run{Pipeline: "demo", Trigger: "manual", PipeVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var produced []registry.ArtifactRef
	for name, a := range map[string]steps.Artifact{"model": p.model, "report": p.report, "plot": p.plot, "data": p.dataset} {
		produced = append(produced, registry.ArtifactFromStep(a, name))
	}
	if _, err := db.RecordExecution(ctx, registry.Execution{RunID: run, Step: "publish.release", Kind: "publish", KindVersion: "1",
		Status: registry.ExecRan, Started: time.Now(), Produced: produced}); err != nil {
		t.Fatal(err)
	}
	if err := db.EndRun(ctx, run, registry.RunSucceeded, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateModelVersion(ctx, registry.ModelVersion{Model: "intent", ModelDigest: p.model.Digest, ReportDigest: p.report.Digest,
		Metrics: map[string]float64{"f1": 0.9, "roc_auc": 0.95}, RunID: run}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetAlias(ctx, "intent", "champion", 1, registry.Reason{Trigger: registry.MoveByPublish, RunID: run}); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestArtifactsAndStatusPage(t *testing.T) {
	dir := writePipeline(t, validPipeline)
	state := t.TempDir()
	p := publish(t, state)
	f := start(t, dir, func(o *Options) { o.Workspace.StateDir = state })
	f.expect(applies.OutcomeApplied)

	code, body, h := f.get("/artifacts/" + p.plot.Digest)
	if code != 200 || h.Get("Content-Type") != "image/png" || body != string(p.plotBytes) {
		t.Errorf("plot: %d %q (%d bytes)", code, h.Get("Content-Type"), len(body))
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Cache-Control"), "immutable") {
		t.Errorf("plot headers: %v", h)
	}
	code, body, h = f.get("/artifacts/" + p.report.Digest)
	if code != 200 || h.Get("Content-Type") != "application/json" || !strings.Contains(body, p.plot.Digest) {
		t.Errorf("report: %d %q %s", code, h.Get("Content-Type"), body)
	}
	// Known to the registry, but neither a report nor a plot: refused.
	for _, d := range []string{p.model.Digest, p.dataset.Digest, "sha256:" + strings.Repeat("0", 64)} {
		if code, body, _ := f.get("/artifacts/" + d); code != 404 {
			t.Errorf("%s: %d %s", d, code, body)
		}
	}
	for _, bad := range []string{"..%2F..%2Fetc%2Fpasswd", "sha256:ABC", "md5:00"} {
		if code, _, _ := f.get("/artifacts/" + bad); code != 400 && code != 404 {
			t.Errorf("%s: %d", bad, code)
		}
	}

	var models api.ModelsPage
	f.getJSON("/api/models", 200, &models)
	if len(models.Models) != 1 {
		t.Fatalf("/api/models: %+v", models)
	}
	m := models.Models[0]
	if m.Name != "intent" || len(m.Versions) != 1 || m.Versions[0].Metrics["f1"] != 0.9 || m.Versions[0].ReportDigest != p.report.Digest ||
		len(m.Aliases) != 1 || m.Aliases[0].Name != "champion" || strings.Join(m.MetricNames, ",") != "f1,roc_auc" {
		t.Errorf("/api/models: %+v", m)
	}
	var g registry.Graph
	f.getJSON("/api/lineage?ref=intent@champion", 200, &g)
	if len(g.Nodes) == 0 {
		t.Errorf("lineage of intent@champion: %+v", g)
	}

	_, metrics, _ := f.get("/metrics")
	for _, want := range []string{
		`pipe_model_metric{alias="champion",metric="f1",model="intent",version="1"} 0.9`,
		`pipe_model_metric{alias="champion",metric="roc_auc",model="intent",version="1"} 0.95`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, grep(metrics, "pipe_model"))
		}
	}

	code, page, h := f.get("/")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("/: %d %v", code, h)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "img-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	for _, want := range []string{
		`<img src="/artifacts/` + p.plot.Digest + `"`,
		"intent", "champion", "0.95", "roc_auc", // models with metrics side by side
		"succeeded", "watch", "2 ran", `href="/runs/2"`, // runs with their steps counted
		"demo", `href="/models/intent/versions/1"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// Nothing from the internet: no absolute URL at all.
	for _, ext := range []string{"http://", "https://", "//cdn", "<script"} {
		if strings.Contains(page, ext) {
			t.Errorf("the page refers to %q", ext)
		}
	}
	if t.Failed() {
		t.Logf("page:\n%s", page)
	}
	// The run's page: its steps as a graph, on a timeline and in a table,
	// each linking its own page.
	code, run, _ := f.get("/runs/2")
	for _, want := range []string{`data-node="source.corpus"`, `data-node="transform.shout"`, `href="/runs/2/steps/transform.shout"`, `data-bar="source.corpus"`, "Timeline"} {
		if code != 200 || !strings.Contains(run, want) {
			t.Errorf("/runs/2 (%d) lacks %q", code, want)
		}
	}
	for _, ext := range []string{"http://", "https://", "<script", "style="} {
		if strings.Contains(run, ext) {
			t.Errorf("the run page refers to %q", ext)
		}
	}

	// A plot whose bytes are damaged in the store is not served.
	objects := filepath.Join(state, "store", "objects", "sha256")
	hex := strings.TrimPrefix(p.plot.Digest, "sha256:")
	if err := os.WriteFile(filepath.Join(objects, hex[:2], hex[2:]), bytes.Repeat([]byte{'x'}, len(p.plotBytes)), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, body, _ := f.get("/artifacts/" + p.plot.Digest); code == 200 {
		t.Errorf("a damaged plot was served: %q", body)
	}
}

func TestPageWithoutModelsOrPlot(t *testing.T) {
	f := start(t, writePipeline(t, `pipeline "demo" {`), nil)
	f.expect(applies.OutcomeInvalid)
	code, page, _ := f.get("/")
	if code != 200 {
		t.Fatalf("/: %d", code)
	}
	for _, want := range []string{"does not load", "main.pipe.hcl", "No runs recorded yet", "No models published yet"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<img") {
		t.Error("an image without a plot")
	}
}
