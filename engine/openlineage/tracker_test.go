package openlineage

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/apply"
	"github.com/pipe-ml/pipe/engine/filehash"
	"github.com/pipe-ml/pipe/engine/pipeline"
	"github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/engine/testkinds"
	"github.com/pipe-ml/pipe/engine/workspace"
)

const testPipeline = `
pipeline "ol" {}

variable "token" {
  type      = string
  default   = "s3cret"
  sensitive = true
}

source "corpus" {
  path = "data/*.txt"
}

transform "shout" {
  input  = source.corpus.data
  factor = 2
}

transform "broken" {
  input = source.corpus.data
  mode  = "lower"
  fail  = true
}

combine "both" {
  inputs = [transform.shout.out, transform.broken.out]
  params = { token = var.token }
}

combine "alone" {
  inputs = [transform.shout.out]
  params = { token = var.token }
}
`

// applyTracked applies testPipeline once, reporting to c, and returns
// the tracker's stats.
func applyTracked(t *testing.T, c *Client, logger *slog.Logger) (Stats, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte(testPipeline), 0o644)
	os.WriteFile(filepath.Join(dir, "data", "a.txt"), []byte("alpha\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "data", "b.txt"), []byte("beta\n"), 0o644)
	w, diags := workspace.Resolve(workspace.Options{Path: dir, Kinds: testkinds.Catalog(nil)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	st, err := store.Open(ctx, w.StoreURL, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	files := filehash.New(filepath.Join(dir, ".pipe"), nil)
	reg, err := registry.Open(ctx, w.RegistryPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	p, diags := pipeline.Load(pipeline.Options{Path: dir, Kinds: testkinds.Catalog(nil)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	pl, diags := plan.Make(ctx, plan.Options{Pipeline: p, Store: st, Files: files, Keys: w.HashKey})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	run := w.RunRecord(ctx, registry.TriggerManual, "test", nil)
	run.ID, err = reg.BeginRun(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTracker(c, TrackerOptions{Pipeline: "ol", Dir: dir, Logger: logger})
	tr.Begin(run)
	res, err := apply.Execute(ctx, apply.Options{Plan: pl, Store: st, Files: files, Registry: reg, RunID: run.ID, Parallelism: 2, Events: tr.Event})
	if err != nil {
		t.Fatal(err)
	}
	tr.End(res.Status(), "transform.broken failed", time.Now())
	closeCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return tr.Close(closeCtx), dir
}

// receiver is an OpenLineage endpoint on loopback that keeps what it gets.
type receiver struct {
	mu     sync.Mutex
	events [][]byte
	// fail answers the first fail requests with status.
	fail   int
	status int
	auth   []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.Method != http.MethodPost || req.URL.Path != DefaultEndpoint || req.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	r.auth = append(r.auth, req.Header.Get("Authorization"))
	if r.fail > 0 {
		r.fail--
		http.Error(w, "try later", r.status)
		return
	}
	b, _ := io.ReadAll(req.Body)
	r.events = append(r.events, b)
	w.WriteHeader(http.StatusCreated)
}

type sentEvent struct {
	EventType string `json:"eventType"`
	EventTime string `json:"eventTime"`
	Run       struct {
		RunID  string                     `json:"runId"`
		Facets map[string]json.RawMessage `json:"facets"`
	} `json:"run"`
	Job struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
	} `json:"job"`
	Inputs  []Dataset `json:"inputs"`
	Outputs []Dataset `json:"outputs"`
}

func decodeAll(t *testing.T, raws [][]byte) []sentEvent {
	t.Helper()
	var out []sentEvent
	for _, raw := range raws {
		if probs := checkRunEvent(raw); len(probs) > 0 {
			t.Errorf("event breaks the RunEvent schema: %v\n%s", probs, raw)
		}
		var ev sentEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// checkEvents checks the events of one apply of testPipeline.
func checkEvents(t *testing.T, evs []sentEvent, dir string) {
	t.Helper()
	byJob := map[string][]sentEvent{}
	for _, ev := range evs {
		if ev.Job.Namespace != DefaultNamespace {
			t.Errorf("job namespace %q", ev.Job.Namespace)
		}
		byJob[ev.Job.Name] = append(byJob[ev.Job.Name], ev)
	}
	types := func(job string) string {
		var s []string
		for _, ev := range byJob[job] {
			s = append(s, ev.EventType)
		}
		return strings.Join(s, " ")
	}
	for job, want := range map[string]string{
		"ol":                  "START FAIL",
		"ol.source.corpus":    "START COMPLETE",
		"ol.transform.shout":  "START COMPLETE",
		"ol.transform.broken": "START FAIL",
		"ol.combine.both":     "START ABORT",
		"ol.combine.alone":    "START COMPLETE",
	} {
		if got := types(job); got != want {
			t.Errorf("%s: events %q, want %q", job, got, want)
		}
	}
	if len(evs) != 12 {
		t.Errorf("%d events, want 12", len(evs))
	}
	parent := byJob["ol"][0].Run.RunID
	runIDs := map[string]bool{parent: true}
	for job, list := range byJob {
		if list[0].Run.RunID != list[len(list)-1].Run.RunID {
			t.Errorf("%s: START and end have different runIds", job)
		}
		if job == "ol" {
			continue
		}
		if runIDs[list[0].Run.RunID] {
			t.Errorf("%s shares a runId", job)
		}
		runIDs[list[0].Run.RunID] = true
		var p ParentRunFacet
		if err := json.Unmarshal(list[0].Run.Facets["parent"], &p); err != nil || p.Run.RunID != parent || p.Job.Name != "ol" {
			t.Errorf("%s: parent facet %+v %v", job, p, err)
		}
	}

	// Inputs and outputs, named after their storage.
	src := byJob["ol.source.corpus"][1]
	if len(src.Inputs) != 2 || src.Inputs[0].Namespace != "file" || src.Inputs[0].Name != filepath.ToSlash(filepath.Join(dir, "data", "a.txt")) {
		t.Errorf("source inputs: %+v", src.Inputs)
	}
	if len(src.Outputs) != 1 || src.Outputs[0].Namespace != "file" || !strings.Contains(src.Outputs[0].Name, "/.pipe/store/objects/sha256/") {
		t.Errorf("source outputs: %+v", src.Outputs)
	}
	shout := byJob["ol.transform.shout"][1]
	if len(shout.Inputs) != 1 || shout.Inputs[0].Name != src.Outputs[0].Name {
		t.Errorf("transform.shout's input is not source.corpus's output: %+v", shout.Inputs)
	}
	var art ArtifactFacet
	b, _ := json.Marshal(src.Inputs[0].Facets["pipe_artifact"])
	if json.Unmarshal(b, &art) != nil || art.Path != "data/a.txt" || !strings.HasPrefix(art.Digest, "sha256:") {
		t.Errorf("pipe_artifact facet: %s", b)
	}
	var version DatasetVersionFacet
	b, _ = json.Marshal(src.Outputs[0].Facets["version"])
	if json.Unmarshal(b, &version) != nil || !strings.HasPrefix(version.DatasetVersion, "sha256:") {
		t.Errorf("version facet: %s", b)
	}

	// Parameters, with secrets redacted; metrics; the execution; errors.
	var params ParametersFacet
	alone := byJob["ol.combine.alone"][1]
	if err := json.Unmarshal(alone.Run.Facets["pipe_parameters"], &params); err != nil || !strings.Contains(string(params.Parameters), `"params":"(sensitive value)"`) || strings.Contains(string(params.Parameters), "s3cret") {
		t.Errorf("pipe_parameters: %s", alone.Run.Facets["pipe_parameters"])
	}
	var metrics MetricsFacet
	if err := json.Unmarshal(shout.Run.Facets["pipe_metrics"], &metrics); err != nil || metrics.Metrics["score"] == 0 || len(metrics.Metrics) != 1 {
		t.Errorf("pipe_metrics: %s", shout.Run.Facets["pipe_metrics"])
	}
	var exec ExecutionFacet
	if err := json.Unmarshal(shout.Run.Facets["pipe_execution"], &exec); err != nil || exec.ExecutionID == 0 || exec.RunID == 0 || exec.Status != "ran" || exec.CacheKey == "" {
		t.Errorf("pipe_execution: %s", shout.Run.Facets["pipe_execution"])
	}
	var em ErrorMessageRunFacet
	if err := json.Unmarshal(byJob["ol.transform.broken"][1].Run.Facets["errorMessage"], &em); err != nil || !strings.Contains(em.Message, "failing as asked") || em.ProgrammingLanguage != "go" {
		t.Errorf("errorMessage: %+v %v", em, err)
	}
	var pr PipeRunFacet
	if err := json.Unmarshal(byJob["ol"][0].Run.Facets["pipe_run"], &pr); err != nil || pr.RunID == 0 || pr.Trigger != "manual" || pr.Pipeline != "ol" {
		t.Errorf("pipe_run: %s", byJob["ol"][0].Run.Facets["pipe_run"])
	}
}

func TestHTTPReceiver(t *testing.T) {
	rec := &receiver{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	c, err := NewClient(srv.URL, &Settings{APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	stats, dir := applyTracked(t, c, nil)
	if stats != (Stats{Sent: 12}) {
		t.Errorf("stats %+v", stats)
	}
	checkEvents(t, decodeAll(t, rec.events), dir)
	if rec.auth[0] != "Bearer k" {
		t.Errorf("Authorization: %q", rec.auth[0])
	}
}

func TestFileTarget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lineage", "events.ndjson")
	c, err := NewClient("file://"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	stats, dir := applyTracked(t, c, nil)
	c.Close()
	if stats.Sent != 12 {
		t.Errorf("stats %+v", stats)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	checkEvents(t, decodeAll(t, lines), dir)
}

func TestTransientFailuresAreRetried(t *testing.T) {
	rec := &receiver{fail: 2, status: http.StatusServiceUnavailable}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	c, _ := NewClient(srv.URL+"/", &Settings{Backoff: time.Millisecond})
	stats, _ := applyTracked(t, c, nil)
	if stats != (Stats{Sent: 12}) || len(rec.auth) != 14 {
		t.Errorf("stats %+v after %d requests", stats, len(rec.auth))
	}
}

func TestRefusedEventsDoNotStopTheRest(t *testing.T) {
	rec := &receiver{fail: 1, status: http.StatusBadRequest}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	c, _ := NewClient(srv.URL, &Settings{Backoff: time.Millisecond})
	var logs bytes.Buffer
	stats, _ := applyTracked(t, c, slog.New(slog.NewTextHandler(&logs, nil)))
	if stats != (Stats{Sent: 11, Failed: 1}) {
		t.Errorf("stats %+v", stats)
	}
	if !strings.Contains(logs.String(), "OpenLineage refused an event") || !strings.Contains(logs.String(), "400") {
		t.Errorf("logs: %s", logs.String())
	}
}

// A dead endpoint costs one event's retries, not every event's, and the
// apply goes on.
func TestDeadEndpoint(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, _ := NewClient("http://"+addr, &Settings{Timeout: time.Second, Attempts: 2, Backoff: time.Millisecond})
	var logs bytes.Buffer
	stats, _ := applyTracked(t, c, slog.New(slog.NewTextHandler(&logs, nil)))
	if stats.Sent != 0 || stats.Failed != 1 || stats.Dropped != 11 {
		t.Errorf("stats %+v", stats)
	}
	if !strings.Contains(logs.String(), "cannot send OpenLineage events") || !strings.Contains(logs.String(), "dropped=11") {
		t.Errorf("logs: %s", logs.String())
	}
}

func TestCloseGivesUp(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	c, _ := NewClient(srv.URL, &Settings{Timeout: time.Hour})
	tr := NewTracker(c, TrackerOptions{Pipeline: "p"})
	tr.Begin(registry.Run{ID: 1, Started: time.Now()})
	tr.End(registry.RunSucceeded, "", time.Now())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if st := tr.Close(ctx); st.Sent != 0 || st.Failed+st.Dropped != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestTargets(t *testing.T) {
	for target, want := range map[string]string{
		"http://marquez:5000":                 "http://marquez:5000/api/v1/lineage",
		"https://lineage.example.com/":        "https://lineage.example.com/api/v1/lineage",
		"http://localhost:5000/custom/events": "http://localhost:5000/custom/events",
		"file:///var/log/pipe/lineage.ndjson": "/var/log/pipe/lineage.ndjson",
		"/var/log/pipe/lineage.ndjson":        "/var/log/pipe/lineage.ndjson",
	} {
		c, err := NewClient(target, nil)
		if err != nil || c.String() != want {
			t.Errorf("NewClient(%q) = %v, %v; want %s", target, c, err, want)
		}
	}
	for _, bad := range []string{"", "kafka://broker/topic", "http://"} {
		if _, err := NewClient(bad, nil); err == nil || !strings.HasPrefix(err.Error(), "openlineage: ") {
			t.Errorf("NewClient(%q) = %v", bad, err)
		}
	}
}

func TestDatasetName(t *testing.T) {
	for _, c := range []struct {
		ref      registry.ArtifactRef
		ns, name string
	}{
		{registry.ArtifactRef{Path: "data/a.csv"}, "file", "/p/data/a.csv"},
		{registry.ArtifactRef{Path: "/abs/x.parquet"}, "file", "/abs/x.parquet"},
		{registry.ArtifactRef{URI: "gs://bucket/prefix/objects/sha256/ab/cd"}, "gs://bucket", "prefix/objects/sha256/ab/cd"},
		{registry.ArtifactRef{URI: "s3://b/objects/sha256/ab/cd"}, "s3://b", "objects/sha256/ab/cd"},
		{registry.ArtifactRef{URI: "file:///p/.pipe/store/objects/sha256/ab/cd"}, "file", "/p/.pipe/store/objects/sha256/ab/cd"},
		{registry.ArtifactRef{Digest: "sha256:abc"}, "pipe", "sha256:abc"},
	} {
		ns, name := DatasetName(c.ref, "/p")
		if ns != c.ns || name != c.name {
			t.Errorf("DatasetName(%+v) = %s %s, want %s %s", c.ref, ns, name, c.ns, c.name)
		}
	}
}
