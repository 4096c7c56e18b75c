package browsertest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// intentPipeline is a real pipeline of real kinds over a small generated
// corpus: a grid search over C, penalty and class weight, a model, its
// evaluation and its publication as the champion. The corpus has an
// invalid row, which load skips with a warning; the bar publish must pass
// is a sensitive variable, which the step's page must not show.
const intentPipeline = `pipeline "intent" {}

variable "min_f1" {
  type      = number
  default   = 0.5
  sensitive = true
}

load "corpus" {
  path       = "data/corpus.csv"
  label      = "label"
  positive   = "private"
  features   = { prefix = "emb_", dim = 8 }
  on_invalid = "skip"
  split      = { test = 0.25, seed = 7, stratify = true }
}

search "lr" {
  data     = load.corpus.train
  strategy = "grid"
  folds    = 3
  metric   = "f1"
  seed     = 7
  space = {
    C            = [0.01, 0.1, 1, 10]
    penalty      = ["l2", "l1"]
    class_weight = ["none", "balanced"]
  }
}

train "model" {
  data   = load.corpus.train
  params = search.lr.best
}

evaluate "holdout" {
  model = train.model.model
  data  = load.corpus.test
}

publish "release" {
  model   = train.model.model
  report  = evaluate.holdout.report
  to      = "models/intent"
  require = evaluate.holdout.f1 >= var.min_f1
  alias   = "champion"
}
`

// livePipeline is what serve watches: two steps that each wait for a
// file the test writes, so the test decides when each one finishes.
const livePipeline = `pipeline "live" {}

source "corpus" {
  path = "data/*.txt"
}

transform "held" {
  input    = source.corpus.data
  wait_for = "%s"
}

transform "after" {
  input    = transform.held.out
  wait_for = "%s"
}
`

// site is the registry, the pipelines and the running pipe serve every
// test reads.
type site struct {
	dir     string // everything: state, store, pipelines
	env     []string
	intent  string // the intent pipeline's folder
	gates   [2]string
	url     string
	serve   *exec.Cmd
	logs    *lockedBuffer
	liveRun string // the run serve holds in progress
	err     error
}

var (
	theSite  *site
	siteOnce sync.Once
)

// openSite builds the site the first time a test asks.
func openSite(t *testing.T) *site {
	t.Helper()
	needBrowser(t)
	siteOnce.Do(func() {
		theSite = &site{logs: &lockedBuffer{}}
		theSite.err = theSite.build()
	})
	if theSite.err != nil {
		t.Fatalf("building the site: %v\nserve's log:\n%s", theSite.err, theSite.logs.String())
	}
	return theSite
}

func closeSite() {
	if theSite == nil {
		return
	}
	if s := theSite.serve; s != nil && s.Process != nil {
		s.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { s.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			s.Process.Kill()
		}
	}
	os.RemoveAll(theSite.dir)
}

// build applies the intent pipeline four times (two versions, the
// second on other data; a run whose publish fails its requirement),
// moves the champion by hand and back, and starts serve on the live
// pipeline, whose first run it holds in progress.
func (s *site) build() error {
	var err error
	if s.dir, err = os.MkdirTemp("", "pipe-browser-site-"); err != nil {
		return err
	}
	state := filepath.Join(s.dir, "state")
	s.env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + s.dir, "PIPE_STATE_DIR=" + state,
		"PIPE_STORE=file://" + filepath.Join(s.dir, "store"), "PIPE_TRIGGER=manual", "CI="}
	s.intent = filepath.Join(s.dir, "intent")
	steps := []func() error{
		func() error { return writeCorpus(filepath.Join(s.intent, "data", "corpus.csv"), 1) },
		func() error {
			return os.WriteFile(filepath.Join(s.intent, "main.pipe.hcl"), []byte(intentPipeline), 0o644)
		},
		func() error { return s.pipe(s.intent, "apply") },
		func() error { return writeCorpus(filepath.Join(s.intent, "data", "corpus.csv"), 2) },
		func() error { return s.pipe(s.intent, "apply") },
		func() error {
			return s.pipe(s.intent, "models", "promote", "-note=alice: v1 reads better on the review set", "intent@1", "champion")
		},
		func() error {
			return s.pipe(s.intent, "models", "rollback", "-note=bob: the review set was stale", "intent", "champion")
		},
		func() error { return s.pipeFails(s.intent, "apply", "-var", "min_f1=0.999") },
		s.startServe,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// pipe runs the pipe binary in dir.
func (s *site) pipe(dir string, args ...string) error {
	out, err := s.run(dir, args...)
	if err != nil {
		return fmt.Errorf("pipe %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// pipeFails runs pipe in dir and wants it to fail.
func (s *site) pipeFails(dir string, args ...string) error {
	out, err := s.run(dir, args...)
	if err == nil {
		return fmt.Errorf("pipe %s succeeded, want a failure:\n%s", strings.Join(args, " "), out)
	}
	return nil
}

func (s *site) run(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command(pipeBin, args...)
	cmd.Dir, cmd.Env = dir, s.env
	return cmd.CombinedOutput()
}

var servingOn = regexp.MustCompile(`Serving on (http://[0-9.:]+)`)

// startServe starts pipe serve on the live pipeline, on a free port of
// loopback, and waits until its first run holds transform.held.
func (s *site) startServe() error {
	live := filepath.Join(s.dir, "live")
	s.gates = [2]string{filepath.Join(s.dir, "gate-held"), filepath.Join(s.dir, "gate-after")}
	if err := os.MkdirAll(filepath.Join(live, "data"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(live, "data", "a.txt"), []byte("hello\nworld\n"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(live, "main.pipe.hcl"), fmt.Appendf(nil, livePipeline, s.gates[0], s.gates[1]), 0o644); err != nil {
		return err
	}
	s.serve = exec.Command(pipeBin, "serve", "-addr=127.0.0.1:0", "-debounce=100ms", ".")
	s.serve.Dir, s.serve.Env = live, s.env
	s.serve.Stderr = s.logs
	stdout, err := s.serve.StdoutPipe()
	if err != nil {
		return err
	}
	if err := s.serve.Start(); err != nil {
		return err
	}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if m := servingOn.FindStringSubmatch(lines.Text()); m != nil {
			s.url = m[1]
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	if s.url == "" {
		return fmt.Errorf("pipe serve did not say where it listens")
	}
	return s.waitHeld()
}

var currentRun = regexp.MustCompile(`"current":\s*\{\s*"run_id":\s*(\d+)`)

// waitHeld waits until serve's apply is in progress with a run ID.
func (s *site) waitHeld() error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if body, err := get(s.url + "/api/status"); err == nil {
			if m := currentRun.FindStringSubmatch(body); m != nil && strings.Contains(body, `"status": "running"`) {
				s.liveRun = m[1]
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("serve's first run never started holding transform.held")
}

func get(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// writeCorpus writes 240 rows of two classes in 8 dimensions that
// overlap enough for the search's choices to matter, and one row whose
// feature is not a number (load skips it); seed picks the data.
func writeCorpus(path string, seed uint64) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(seed, 17))
	var b bytes.Buffer
	b.WriteString("label")
	for j := range 8 {
		fmt.Fprintf(&b, ",emb_%d", j)
	}
	b.WriteString("\n")
	for i := range 240 {
		label, shift := "public", -0.35
		if i%3 == 0 {
			label, shift = "private", 0.35
		}
		b.WriteString(label)
		for j := range 8 {
			x := r.NormFloat64() + shift*float64(j%3)
			fmt.Fprintf(&b, ",%.5f", x)
		}
		b.WriteString("\n")
	}
	b.WriteString("public,n/a" + strings.Repeat(",0", 7) + "\n")
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// lockedBuffer collects a process's output safely across goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// status fetches url and returns the status and the body.
func status(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
