package page

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/pipeline"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/api"
	"github.com/pipe-ml/pipe/engine/serve/applies"
	"github.com/pipe-ml/pipe/engine/serve/resources"
	"github.com/pipe-ml/pipe/engine/serve/snapshot"
	"github.com/pipe-ml/pipe/engine/workspace"
)

// The runs list pages through a registry of 10,000 runs; the target is
// under 100 ms a page, the page as a browser gets it from serve on
// loopback (the registry's query, the API's answer, the HTML):
//
//	go test -run '^$' -bench RunsPage ./engine/serve/page
//
// The registry: 20 pipelines of 500 runs each, interleaved in time, each
// run with five steps; every 7th run failed, every 10th was applied by
// a CI job. Building it through the registry's API takes a minute or two
// on 2 cores, once for all the benchmarks.
const (
	benchPipelines = 20
	benchRuns      = 10_000
)

var benchSite struct {
	once sync.Once
	dir  string
	srv  *httptest.Server
	res  *resources.Resources
	err  error
}

// runsSite returns the URL of a server of the pages over the benchmark
// registry, building it the first time.
func runsSite(b *testing.B) string {
	b.Helper()
	benchSite.once.Do(func() { benchSite.err = buildRunsSite() })
	if benchSite.err != nil {
		b.Fatal(benchSite.err)
	}
	return benchSite.srv.URL
}

func buildRunsSite() error {
	dir, err := os.MkdirTemp("", "page-bench-")
	if err != nil {
		return err
	}
	benchSite.dir = dir
	ws := &workspace.Workspace{Pipeline: &pipeline.Pipeline{Config: &config.Config{Dir: dir}},
		StoreURL: "file://" + filepath.Join(dir, "store"), StateDir: filepath.Join(dir, "state"),
		RegistryPath: filepath.Join(dir, "state", "registry.db")}
	if err := os.MkdirAll(ws.StateDir, 0o755); err != nil {
		return err
	}
	if err := fillRegistry(ws.RegistryPath); err != nil {
		return err
	}
	benchSite.res = &resources.Resources{}
	benchSite.res.Open(context.Background(), ws)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := api.New(api.Options{Resources: benchSite.res, Dir: dir, Log: log})
	p := New(Options{API: a, Log: log,
		Snapshot: func() *snapshot.Snapshot { return nil }, Current: func() *applies.Progress { return nil }})
	mux := http.NewServeMux()
	a.Register(mux)
	p.Register(mux)
	benchSite.srv = httptest.NewServer(mux)
	return nil
}

// fillRegistry records the benchmark's runs through the registry's API,
// as applies do.
func fillRegistry(path string) error {
	ctx := context.Background()
	db, err := registry.Open(ctx, path, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	stepNames := []string{"load.corpus", "search.lr", "train.model", "evaluate.holdout", "publish.release"}
	for i := range benchRuns {
		run := registry.Run{Pipeline: fmt.Sprintf("pipeline-%02d", i%benchPipelines), Trigger: registry.TriggerSchedule,
			PipeVersion: "bench", Started: start.Add(time.Duration(i) * time.Minute)}
		if i%10 == 0 {
			run.Trigger = registry.TriggerCI
		}
		id, err := db.BeginRun(ctx, run)
		if err != nil {
			return err
		}
		status, runStatus := registry.ExecRan, registry.RunSucceeded
		for j, step := range stepNames {
			if i%7 == 0 && j == len(stepNames)-1 {
				status, runStatus = registry.ExecFailed, registry.RunFailed
			}
			e := registry.Execution{RunID: id, Step: step, Kind: step[:len(step)-len(filepath.Ext(step))], KindVersion: "1",
				Started: run.Started.Add(time.Duration(j) * time.Second)}
			eid, err := db.StartExecution(ctx, e)
			if err != nil {
				return err
			}
			if err := db.FinishExecution(ctx, eid, registry.ExecutionResult{Status: status, Ended: e.Started.Add(time.Second)}); err != nil {
				return err
			}
		}
		if err := db.EndRun(ctx, id, runStatus, ""); err != nil {
			return err
		}
	}
	return nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchSite.srv != nil {
		benchSite.srv.Close()
		benchSite.res.Close()
	}
	if benchSite.dir != "" {
		os.RemoveAll(benchSite.dir)
	}
	os.Exit(code)
}

var olderLink = regexp.MustCompile(`href="/runs\?([^"]*)" rel="next"`)

// BenchmarkRunsPage gets one page of /runs (50 runs, the default) for
// each filter: the newest, a pipeline, a status, a trigger, the three
// together, and a status no run has (which looks at every run).
func BenchmarkRunsPage(b *testing.B) {
	for _, c := range []struct{ name, query string }{
		{"newest", ""},
		{"deep", "?before=2500"},
		{"pipeline", "?pipeline=pipeline-07&before=5000"},
		{"status", "?status=failed"},
		{"trigger", "?trigger=ci&before=5000"},
		{"all-three", "?pipeline=pipeline-10&status=failed&trigger=ci"},
		{"none-match", "?status=cancelled"},
	} {
		b.Run(c.name, func(b *testing.B) {
			site := runsSite(b)
			for b.Loop() {
				getPage(b, site+"/runs"+c.query)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
		})
	}
}

// BenchmarkRunsPageWalk follows the "Older runs" links from the newest
// page to the oldest, through all 10,000 runs: the time is per page.
func BenchmarkRunsPageWalk(b *testing.B) {
	site := runsSite(b)
	pages := 0
	for b.Loop() {
		next := site + "/runs"
		for next != "" {
			body := getPage(b, next)
			pages++
			next = ""
			if m := olderLink.FindStringSubmatch(body); m != nil {
				next = site + "/runs?" + html.UnescapeString(m[1])
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(pages), "ms/page")
	b.ReportMetric(float64(pages)/float64(b.N), "pages")
}

// getPage gets a page and fails the benchmark unless it is a 200.
func getPage(b *testing.B, url string) string {
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("%s: %d %v\n%.500s", url, resp.StatusCode, err, body)
	}
	return string(body)
}
