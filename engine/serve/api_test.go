package serve

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/api"
	"github.com/pipe-ml/pipe/engine/serve/applies"
	"github.com/pipe-ml/pipe/engine/store/gcstest"
)

func TestReadinessFollowsThePipeline(t *testing.T) {
	dir := writePipeline(t, validPipeline)
	f := start(t, dir, nil)

	c := f.expect(applies.OutcomeApplied)
	if c.Trigger != "watch" || c.Reason != "start" || c.Status != "succeeded" || c.ToRun != 2 {
		t.Errorf("first check: %+v", c)
	}
	code, body, _ := f.get("/readyz")
	if code != 200 || !strings.HasPrefix(body, "ready\n") {
		t.Fatalf("/readyz on a good pipeline: %d\n%s", code, body)
	}
	if code, body, _ := f.get("/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	ran := f.counter.Total()

	// A broken pipeline: not ready, the diagnostic shown, nothing run, not
	// even when the data changes too.
	write(t, filepath.Join(dir, "main.pipe.hcl"), strings.Replace(validPipeline, `factor = var.factor`, `factor = var.factor +`, 1))
	write(t, filepath.Join(dir, "data", "b.txt"), "more\n")
	c = f.expect(applies.OutcomeInvalid)
	code, body, _ = f.get("/readyz")
	if code != 503 {
		t.Fatalf("/readyz on a broken pipeline: %d\n%s", code, body)
	}
	for _, want := range []string{"not ready", "pipeline: failed", "main.pipe.hcl", "Invalid expression", "store: ok", "registry: ok"} {
		if !strings.Contains(body, want) {
			t.Errorf("/readyz body lacks %q:\n%s", want, body)
		}
	}
	var rd api.Readiness
	code, jbody, _ := f.get("/readyz?format=json")
	if err := json.Unmarshal([]byte(jbody), &rd); err != nil || code != 503 || rd.Ready || rd.Checks[0].Name != "pipeline" || rd.Checks[0].OK ||
		len(rd.Checks[0].Diagnostics) == 0 || rd.Checks[0].Diagnostics[0].Range == nil {
		t.Errorf("/readyz JSON: %d %v\n%s", code, err, jbody)
	}
	if n := f.counter.Total(); n != ran {
		t.Errorf("%d steps ran with a broken pipeline", n-ran)
	}
	if runs := f.runs(); len(runs) != 1 {
		t.Errorf("%d runs recorded, want 1", len(runs))
	}
	_, metrics, _ := f.get("/metrics")
	if !strings.Contains(metrics, `pipe_pipeline_valid{pipeline="demo"} 0`) {
		t.Errorf("/metrics does not say the pipeline is invalid:\n%s", grep(metrics, "pipe_pipeline_valid"))
	}

	// Fixed (with a change): ready again, and it runs.
	write(t, filepath.Join(dir, "main.pipe.hcl"), strings.Replace(validPipeline, "default = 2", "default = 3", 1))
	c = f.expect(applies.OutcomeApplied)
	if c.Status != "succeeded" || c.Trigger != "watch" {
		t.Errorf("after the fix: %+v", c)
	}
	if code, body, _ := f.get("/readyz"); code != 200 {
		t.Errorf("/readyz after the fix: %d\n%s", code, body)
	}
	_, metrics, _ = f.get("/metrics")
	if !strings.Contains(metrics, `pipe_pipeline_valid{pipeline="demo"} 1`) {
		t.Errorf("/metrics:\n%s", grep(metrics, "pipe_pipeline_valid"))
	}
	runs := f.runs()
	if len(runs) != 2 || runs[0].Trigger != "watch" || runs[0].Status != "succeeded" {
		t.Errorf("runs: %+v", runs)
	}
}

func TestAPI(t *testing.T) {
	dir := writePipeline(t, validPipeline)
	f := start(t, dir, nil)
	c := f.expect(applies.OutcomeApplied)

	var runs api.RunsPage
	f.getJSON("/api/runs?limit=5", 200, &runs)
	if len(runs.Runs) != 1 || runs.Runs[0].ID != c.RunID || runs.Runs[0].Pipeline != "demo" || runs.Runs[0].Trigger != "watch" {
		t.Errorf("/api/runs: %+v", runs)
	}
	var raw map[string]any
	f.getJSON("/api/runs?limit=5", 200, &raw)
	if _, ok := raw["runs"].([]any); !ok {
		t.Errorf("/api/runs is not {\"runs\": [...]}: %v", raw)
	}
	f.getJSON("/api/runs?status=failed", 200, &runs)
	if len(runs.Runs) != 0 {
		t.Errorf("failed runs: %+v", runs)
	}
	var run registry.RunDetail
	f.getJSON("/api/runs/1", 200, &run)
	if run.ID != 1 || run.Status != "succeeded" || len(run.Executions) != 2 || run.Executions[0].Step != "source.corpus" || run.Executions[0].Status != "ran" {
		t.Errorf("/api/runs/1: %+v", run)
	}
	var e struct{ Error string }
	f.getJSON("/api/runs/99", 404, &e)
	if !strings.Contains(e.Error, "no run 99") {
		t.Errorf("/api/runs/99: %q", e.Error)
	}
	f.getJSON("/api/runs/x", 400, &e)
	f.getJSON("/api/runs?limit=0", 400, &e)

	var models api.ModelsPage
	f.getJSON("/api/models", 200, &models)
	if models.Models == nil || len(models.Models) != 0 {
		t.Errorf("/api/models: %+v", models)
	}

	f.getJSON("/api/lineage", 400, &e)
	f.getJSON("/api/lineage?ref=data/a.txt&direction=sideways", 400, &e)
	var g struct {
		Direction string           `json:"direction"`
		Nodes     []map[string]any `json:"nodes"`
	}
	f.getJSON("/api/lineage?ref=data/a.txt&direction=downstream", 200, &g)
	if g.Direction != "downstream" || len(g.Nodes) < 3 {
		t.Errorf("downstream of data/a.txt: %+v", g)
	}
	f.getJSON("/api/lineage?ref=nothing@champion", 404, &e)

	var st api.Status
	f.getJSON("/api/status", 200, &st)
	if st.Pipeline != "demo" || !st.Valid || st.LastCheck == nil || st.LastCheck.RunID != c.RunID || st.InProgress || st.PipeVersion != "test" {
		t.Errorf("/api/status: %+v", st)
	}
	// Folders are shown relative to the pipeline folder: no server paths.
	want := []string{".", "data"}
	if strings.Join(st.Watching, ",") != strings.Join(want, ",") {
		t.Errorf("watching %v, want %v", st.Watching, want)
	}

	if code, _, _ := f.get("/nothing"); code != 404 {
		t.Errorf("/nothing: %d", code)
	}
	req, _ := http.NewRequest("POST", f.url+"/api/runs", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/runs: %d", resp.StatusCode)
	}
}

// TestReadinessNamesTheFailedCheck: /readyz fails, naming the check, when
// the store (the GCS emulator, stopped) or the registry (its folder cannot
// be made) does not answer, while the others pass.
func TestReadinessNamesTheFailedCheck(t *testing.T) {
	t.Run("store", func(t *testing.T) {
		gcs := gcstest.Start(t)
		f := start(t, writePipeline(t, validPipeline), func(o *Options) {
			o.Workspace.Store = gcs.URL()
			o.Watch = false
		})
		if code, body, _ := f.get("/readyz"); code != 200 || !strings.Contains(body, "store: ok") {
			t.Fatalf("/readyz with the emulator up: %d\n%s", code, body)
		}
		gcs.Stop()
		code, body, _ := f.get("/readyz")
		if code != 503 || !strings.Contains(body, "store: failed: ") || !strings.Contains(body, gcs.URL()) ||
			!strings.Contains(body, "pipeline: ok") || !strings.Contains(body, "registry: ok") {
			t.Errorf("/readyz with the emulator down: %d\n%s", code, body)
		}
		var rd api.Readiness
		f.getJSON("/readyz?format=json", 503, &rd)
		if rd.Ready || len(rd.Checks) != 3 || rd.Checks[1].Name != "store" || rd.Checks[1].OK || rd.Checks[1].Error == "" {
			t.Errorf("/readyz JSON: %+v", rd)
		}
		gcs.Restart()
		if code, body, _ := f.get("/readyz"); code != 200 {
			t.Errorf("/readyz with the emulator back: %d\n%s", code, body)
		}
	})
	t.Run("registry", func(t *testing.T) {
		blocker := filepath.Join(t.TempDir(), "a-file")
		write(t, blocker, "not a folder\n")
		f := start(t, writePipeline(t, validPipeline), func(o *Options) {
			o.Workspace.Registry = filepath.Join(blocker, "registry.db")
			o.Watch = false
		})
		code, body, _ := f.get("/readyz")
		if code != 503 || !strings.Contains(body, "registry: failed: serve: creating the registry's folder") ||
			!strings.Contains(body, "pipeline: ok") || !strings.Contains(body, "store: ok") {
			t.Errorf("/readyz with no registry: %d\n%s", code, body)
		}
		if code, _, _ := f.get("/healthz"); code != 200 {
			t.Errorf("/healthz: %d; serve is alive without its registry", code)
		}
	})
}
