package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/runner"
	"github.com/pipe-ml/pipe/engine/store/gcstest"
	"github.com/pipe-ml/pipe/engine/testkinds"
	"github.com/pipe-ml/pipe/engine/workspace"
)

// checkTimeout only guards against a test hanging forever; no assertion
// depends on time.
const checkTimeout = 60 * time.Second

const validPipeline = `pipeline "demo" {}

variable "factor" {
  type    = number
  default = 2
}

source "corpus" {
  path = "data/*.txt"
}

transform "shout" {
  input  = source.corpus.data
  factor = var.factor
}
`

// fixture is a running server on loopback over a pipeline folder.
type fixture struct {
	t       *testing.T
	dir     string // the pipeline folder
	state   string
	srv     *Server
	url     string
	counter *testkinds.Counter
	checks  chan Check
	logs    *logBuffer
	stop    func()
	// cancel cancels Run's context without waiting; wait waits for Run.
	cancel func()
	wait   func() error
}

// logBuffer collects the server's JSON logs.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// writePipeline makes a plain pipeline folder with one data file.
func writePipeline(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "main.pipe.hcl"), src)
	write(t, filepath.Join(dir, "data", "a.txt"), "hello\nworld\n")
	return dir
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// start runs a server on dir; edit changes the options first, setup the
// server before it runs.
func start(t *testing.T, dir string, edit func(*Options), setup func(*Server)) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: dir, state: t.TempDir(), counter: &testkinds.Counter{}, checks: make(chan Check, 100), logs: &logBuffer{}}
	opts := Options{
		Workspace: workspace.Options{
			Path:     dir,
			Kinds:    testkinds.Catalog(f.counter),
			StateDir: f.state,
			Env:      []string{"PIPE_TRIGGER=manual"},
		},
		PipeVersion: "test",
		Parallelism: 2,
		Watch:       true,
		Debounce:    50 * time.Millisecond,
		LockRetry:   time.Hour,
		Logger:      slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.afterCheck = func(c Check) { f.checks <- c }
	if setup != nil {
		setup(s)
	}
	f.srv = s
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.url = "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	var once sync.Once
	var runErr error
	f.cancel = cancel
	f.wait = func() error {
		once.Do(func() { runErr = <-done })
		return runErr
	}
	f.stop = func() {
		cancel()
		if err := f.wait(); err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(func() {
		f.stop()
		if t.Failed() || os.Getenv("SERVE_TEST_LOGS") != "" {
			t.Logf("server logs:\n%s", f.logs.String())
		}
	})
	return f
}

// next waits for the server's next check.
func (f *fixture) next() Check {
	f.t.Helper()
	select {
	case c := <-f.checks:
		return c
	case <-time.After(checkTimeout):
		f.t.Fatalf("no check within %s\nlogs:\n%s", checkTimeout, f.logs.String())
		return Check{}
	}
}

// expect waits for the next check and compares its outcome.
func (f *fixture) expect(outcome string) Check {
	f.t.Helper()
	c := f.next()
	if c.Outcome != outcome {
		f.t.Fatalf("check %+v: outcome %s, want %s", c, c.Outcome, outcome)
	}
	return c
}

// get fetches a URL path and returns the status and body.
func (f *fixture) get(path string, header ...string) (int, string, http.Header) {
	f.t.Helper()
	req, err := http.NewRequest("GET", f.url+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

// getJSON fetches a path, checks the status and decodes the body.
func (f *fixture) getJSON(path string, code int, v any) {
	f.t.Helper()
	got, body, h := f.get(path)
	if got != code {
		f.t.Fatalf("GET %s: %d, want %d\n%s", path, got, code, body)
	}
	if ct := h.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(body), v); err != nil {
			f.t.Fatalf("GET %s: %v\n%s", path, err, body)
		}
	}
}

// runs reads the registry's runs, newest first.
func (f *fixture) runs() []registry.Run {
	f.t.Helper()
	var page RunsPage
	f.getJSON("/api/runs", 200, &page)
	return page.Runs
}

func TestReadinessFollowsThePipeline(t *testing.T) {
	dir := writePipeline(t, validPipeline)
	f := start(t, dir, nil, nil)

	c := f.expect(OutcomeApplied)
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
	c = f.expect(OutcomeInvalid)
	code, body, _ = f.get("/readyz")
	if code != 503 {
		t.Fatalf("/readyz on a broken pipeline: %d\n%s", code, body)
	}
	for _, want := range []string{"not ready", "pipeline: failed", "main.pipe.hcl", "Invalid expression", "store: ok", "registry: ok"} {
		if !strings.Contains(body, want) {
			t.Errorf("/readyz body lacks %q:\n%s", want, body)
		}
	}
	var rd Readiness
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
	c = f.expect(OutcomeApplied)
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

// grep returns the lines of s that contain sub.
func grep(s, sub string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func TestMetricsCountEveryRunInTheRegistry(t *testing.T) {
	dir := writePipeline(t, validPipeline)
	f := start(t, dir, nil, nil)
	f.expect(OutcomeApplied)

	// Another process (the CronJob) applies: everything is cached.
	ws, diags := workspace.Resolve(f.srv.opts.Workspace)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if err := ws.OpenStore(context.Background()); err != nil {
		t.Fatal(err)
	}
	out, err := runner.Run(context.Background(), runner.Options{Workspace: ws, Trigger: "schedule", PipeVersion: "test"})
	ws.Close()
	if err != nil || out.Status != "succeeded" {
		t.Fatalf("apply: %v %+v", err, out)
	}

	_, m, h := f.get("/metrics")
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q", ct)
	}
	for _, want := range []string{
		`pipe_runs_total{pipeline="demo",status="succeeded",trigger="watch"} 1`,
		`pipe_runs_total{pipeline="demo",status="succeeded",trigger="schedule"} 1`,
		`pipe_runs_total{pipeline="demo",status="failed",trigger="watch"} 0`,
		`pipe_run_duration_seconds_count{pipeline="demo",status="succeeded"} 2`,
		`pipe_step_duration_seconds_count{kind="source",pipeline="demo",result="ran"} 1`,
		`pipe_step_duration_seconds_count{kind="source",pipeline="demo",result="cached"} 1`,
		`pipe_step_duration_seconds_count{kind="transform",pipeline="demo",result="cached"} 1`,
		`pipe_cache_hits_total{kind="source",pipeline="demo"} 1`,
		`pipe_cache_hits_total{kind="transform",pipeline="demo"} 1`,
		`pipe_cache_misses_total{kind="source",pipeline="demo"} 1`,
		`pipe_cache_misses_total{kind="transform",pipeline="demo"} 1`,
		`pipe_last_success_timestamp_seconds{pipeline="demo"} `,
		`pipe_run_in_progress{pipeline="demo"} 0`,
		`pipe_pipeline_valid{pipeline="demo"} 1`,
		`go_goroutines `,
		`process_start_time_seconds `,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, name := range MetricNames {
		if name != "pipe_model_metric" && !strings.Contains(m, "# TYPE "+name+" ") {
			t.Errorf("/metrics has no %s", name)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", grep(m, "pipe_"))
	}

	// A new server over the same registry counts the same totals: the
	// counters do not fall back to zero across restarts.
	f.stop()
	g := start(t, dir, func(o *Options) { o.Workspace.StateDir = f.state; o.Watch = false }, nil)
	_, m2, _ := g.get("/metrics")
	for _, want := range []string{
		`pipe_runs_total{pipeline="demo",status="succeeded",trigger="watch"} 1`,
		`pipe_runs_total{pipeline="demo",status="succeeded",trigger="schedule"} 1`,
		`pipe_cache_hits_total{kind="source",pipeline="demo"} 1`,
	} {
		if !strings.Contains(m2, want) {
			t.Errorf("/metrics after a restart lacks %q", want)
		}
	}
}

func TestAPI(t *testing.T) {
	dir := writePipeline(t, validPipeline)
	f := start(t, dir, nil, nil)
	c := f.expect(OutcomeApplied)

	var runs RunsPage
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
	var e apiError
	f.getJSON("/api/runs/99", 404, &e)
	if !strings.Contains(e.Error, "no run 99") {
		t.Errorf("/api/runs/99: %q", e.Error)
	}
	f.getJSON("/api/runs/x", 400, &e)
	f.getJSON("/api/runs?limit=0", 400, &e)

	var models ModelsPage
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

	var st Status
	f.getJSON("/api/status", 200, &st)
	if st.Pipeline != "demo" || !st.Valid || st.LastCheck == nil || st.LastCheck.RunID != c.RunID || st.InProgress || st.PipeVersion != "test" {
		t.Errorf("/api/status: %+v", st)
	}
	want := []string{dir, filepath.Join(dir, "data")}
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

func TestTouchingDataMakesNoRun(t *testing.T) {
	dir := writePipeline(t, validPipeline)
	f := start(t, dir, nil, nil)
	f.expect(OutcomeApplied)
	ran := f.counter.Total()

	// Rewrite a data file with the same bytes, and touch it.
	path := filepath.Join(dir, "data", "a.txt")
	write(t, path, "hello\nworld\n")
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	c := f.expect(OutcomeUpToDate)
	if c.ToRun != 0 || c.Cached != 2 {
		t.Errorf("check: %+v", c)
	}
	// The pipeline file rewritten as it was: no run either.
	write(t, filepath.Join(dir, "main.pipe.hcl"), validPipeline)
	f.expect(OutcomeUpToDate)
	if n := f.counter.Total(); n != ran {
		t.Errorf("%d steps ran", n-ran)
	}
	if runs := f.runs(); len(runs) != 1 {
		t.Errorf("%d runs, want 1", len(runs))
	}

	// A new file matching the glob is a change.
	write(t, filepath.Join(dir, "data", "c.txt"), "new\n")
	c = f.expect(OutcomeApplied)
	if c.ToRun != 2 {
		t.Errorf("check after a new file: %+v", c)
	}
}

func TestFailedRunIsNotRetriedForATouch(t *testing.T) {
	dir := writePipeline(t, validPipeline+`
transform "broken" {
  input = source.corpus.data
  fail  = true
}
`)
	f := start(t, dir, nil, nil)
	c := f.expect(OutcomeApplied)
	if c.Status != "failed" || !strings.Contains(c.Message, "failing as asked") {
		t.Errorf("check: %+v", c)
	}
	write(t, filepath.Join(dir, "data", "a.txt"), "hello\nworld\n")
	c = f.expect(OutcomeUnchanged)
	write(t, filepath.Join(dir, "data", "a.txt"), "hello\nthere\n")
	c = f.expect(OutcomeApplied)
	if c.Status != "failed" {
		t.Errorf("check: %+v", c)
	}
	_, m, _ := f.get("/metrics")
	if !strings.Contains(m, `pipe_runs_total{pipeline="demo",status="failed",trigger="watch"} 2`) ||
		!strings.Contains(m, `pipe_step_duration_seconds_count{kind="transform",pipeline="demo",result="failed"} 2`) {
		t.Errorf("/metrics:\n%s", grep(m, `"demo"`))
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
		}, nil)
		if code, body, _ := f.get("/readyz"); code != 200 || !strings.Contains(body, "store: ok") {
			t.Fatalf("/readyz with the emulator up: %d\n%s", code, body)
		}
		gcs.Stop()
		code, body, _ := f.get("/readyz")
		if code != 503 || !strings.Contains(body, "store: failed: ") || !strings.Contains(body, gcs.URL()) ||
			!strings.Contains(body, "pipeline: ok") || !strings.Contains(body, "registry: ok") {
			t.Errorf("/readyz with the emulator down: %d\n%s", code, body)
		}
		var rd Readiness
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
		}, nil)
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
