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
	"github.com/pipe-ml/pipe/engine/serve/api"
	"github.com/pipe-ml/pipe/engine/serve/applies"
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
	t       testing.TB
	dir     string // the pipeline folder
	state   string
	srv     *Server
	url     string
	counter *testkinds.Counter
	checks  chan applies.Check
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
func writePipeline(t testing.TB, src string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "main.pipe.hcl"), src)
	write(t, filepath.Join(dir, "data", "a.txt"), "hello\nworld\n")
	return dir
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// start runs a server on dir; edit changes the options first.
func start(t testing.TB, dir string, edit func(*Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: dir, state: t.TempDir(), counter: &testkinds.Counter{}, checks: make(chan applies.Check, 100), logs: &logBuffer{}}
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
	s.applier.AfterCheck = func(c applies.Check) { f.checks <- c }
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
func (f *fixture) next() applies.Check {
	f.t.Helper()
	select {
	case c := <-f.checks:
		return c
	case <-time.After(checkTimeout):
		f.t.Fatalf("no check within %s\nlogs:\n%s", checkTimeout, f.logs.String())
		return applies.Check{}
	}
}

// expect waits for the next check and compares its outcome.
func (f *fixture) expect(outcome string) applies.Check {
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
	var page api.RunsPage
	f.getJSON("/api/runs", 200, &page)
	var runs []registry.Run
	for _, r := range page.Runs {
		runs = append(runs, r.Run)
	}
	return runs
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

func TestTouchingDataMakesNoRun(t *testing.T) {
	dir := writePipeline(t, validPipeline)
	f := start(t, dir, nil)
	f.expect(applies.OutcomeApplied)
	ran := f.counter.Total()

	// Rewrite a data file with the same bytes, and touch it.
	path := filepath.Join(dir, "data", "a.txt")
	write(t, path, "hello\nworld\n")
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	c := f.expect(applies.OutcomeUpToDate)
	if c.ToRun != 0 || c.Cached != 2 {
		t.Errorf("check: %+v", c)
	}
	// The pipeline file rewritten as it was: no run either.
	write(t, filepath.Join(dir, "main.pipe.hcl"), validPipeline)
	f.expect(applies.OutcomeUpToDate)
	if n := f.counter.Total(); n != ran {
		t.Errorf("%d steps ran", n-ran)
	}
	if runs := f.runs(); len(runs) != 1 {
		t.Errorf("%d runs, want 1", len(runs))
	}

	// A new file matching the glob is a change.
	write(t, filepath.Join(dir, "data", "c.txt"), "new\n")
	c = f.expect(applies.OutcomeApplied)
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
	f := start(t, dir, nil)
	c := f.expect(applies.OutcomeApplied)
	if c.Status != "failed" || !strings.Contains(c.Message, "failing as asked") {
		t.Errorf("check: %+v", c)
	}
	write(t, filepath.Join(dir, "data", "a.txt"), "hello\nworld\n")
	c = f.expect(applies.OutcomeUnchanged)
	write(t, filepath.Join(dir, "data", "a.txt"), "hello\nthere\n")
	c = f.expect(applies.OutcomeApplied)
	if c.Status != "failed" {
		t.Errorf("check: %+v", c)
	}
	_, m, _ := f.get("/metrics")
	if !strings.Contains(m, `pipe_runs_total{pipeline="demo",status="failed",trigger="watch"} 2`) ||
		!strings.Contains(m, `pipe_step_duration_seconds_count{kind="transform",pipeline="demo",result="failed"} 2`) {
		t.Errorf("/metrics:\n%s", grep(m, `"demo"`))
	}
}
