package serve

import (
	"context"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/runner"
	"github.com/pipe-ml/pipe/engine/serve/applies"
	"github.com/pipe-ml/pipe/engine/serve/metrics"
	"github.com/pipe-ml/pipe/engine/workspace"
)

func TestMetricsCountEveryRunInTheRegistry(t *testing.T) {
	dir := writePipeline(t, validPipeline)
	f := start(t, dir, nil)
	f.expect(applies.OutcomeApplied)

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
	for _, name := range metrics.Names {
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
	g := start(t, dir, func(o *Options) { o.Workspace.StateDir = f.state; o.Watch = false })
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

// Before any run, every series a dashboard takes increase() of is there
// at zero, so that the first run shows as an increase: the first duration
// and the first failure of a step kind included (found by deploy's
// TestMonitoringOnServe, whose Prometheus saw no run duration after the
// first apply).
func TestMetricsSeriesBeforeTheFirstRun(t *testing.T) {
	dir := writePipeline(t, validPipeline)
	f := start(t, dir, func(o *Options) { o.Watch = false })
	_, m, _ := f.get("/metrics")
	for _, want := range []string{
		`pipe_runs_total{pipeline="demo",status="failed",trigger="schedule"} 0`,
		`pipe_run_duration_seconds_count{pipeline="demo",status="succeeded"} 0`,
		`pipe_run_duration_seconds_bucket{pipeline="demo",status="failed",le="+Inf"} 0`,
		`pipe_step_duration_seconds_count{kind="source",pipeline="demo",result="ran"} 0`,
		`pipe_step_duration_seconds_count{kind="transform",pipeline="demo",result="failed"} 0`,
		`pipe_step_duration_seconds_count{kind="transform",pipeline="demo",result="cached"} 0`,
		`pipe_cache_misses_total{kind="transform",pipeline="demo"} 0`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", grep(m, "pipe_"))
	}
}
