package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// pagedRuns records 60 runs over two pipelines, four triggers and three
// end statuses (and one still running), each with a cached and a ran
// execution, and returns them newest first.
func pagedRuns(t *testing.T, db *DB) []Run {
	t.Helper()
	ctx := context.Background()
	var all []Run
	for i := range 60 {
		r := Run{Pipeline: []string{"intent", "spam"}[i%2], Trigger: runTriggers[i%4], PipeVersion: "test"}
		id, err := db.BeginRun(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		for _, status := range []string{ExecCached, ExecRan} {
			if _, err := db.RecordExecution(ctx, Execution{RunID: id, Step: "step." + status, Kind: "k", KindVersion: "1", Status: status}); err != nil {
				t.Fatal(err)
			}
		}
		status := []string{RunSucceeded, RunFailed, RunCancelled}[i%3]
		if i == 59 {
			status = RunRunning
		} else if err := db.EndRun(ctx, id, status, ""); err != nil {
			t.Fatal(err)
		}
		r.ID, r.Status = id, status
		all = append(all, r)
	}
	slices.Reverse(all)
	return all
}

func TestRunPageWalksBothWays(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	all := pagedRuns(t, db)
	for _, q := range []RunQuery{
		{Limit: 7},
		{Limit: 60},
		{Limit: 100},
		{Limit: 4, Pipeline: "spam"},
		{Limit: 3, Status: RunFailed},
		{Limit: 5, Trigger: TriggerWatch},
		{Limit: 2, Pipeline: "intent", Status: RunSucceeded, Trigger: TriggerSchedule},
		{Limit: 5, Pipeline: "nothing"},
	} {
		t.Run(fmt.Sprintf("%+v", q), func(t *testing.T) {
			var want []int64
			for _, r := range all {
				if (q.Pipeline == "" || r.Pipeline == q.Pipeline) && (q.Status == "" || r.Status == q.Status) && (q.Trigger == "" || r.Trigger == q.Trigger) {
					want = append(want, r.ID)
				}
			}
			// Older and older, to the end.
			var got []int64
			var pages []*RunPage
			cur := q
			for {
				p, err := db.RunPage(ctx, cur)
				if err != nil {
					t.Fatal(err)
				}
				pages = append(pages, p)
				for _, r := range p.Runs {
					got = append(got, r.ID)
					if r.Steps[ExecCached] != 1 || r.Steps[ExecRan] != 1 {
						t.Errorf("run %d steps %v", r.ID, r.Steps)
					}
				}
				if len(pages) > 1 && p.Newer == 0 {
					t.Errorf("page %d offers no way back", len(pages))
				}
				if p.Older == 0 {
					break
				}
				cur.Before, cur.After = p.Older, 0
			}
			if !slices.Equal(got, want) {
				t.Fatalf("older pages give %v, want %v", got, want)
			}
			// And back: each Newer gives the page before, exactly.
			for i := len(pages) - 1; i > 0; i-- {
				cur.Before, cur.After = 0, pages[i].Newer
				p, err := db.RunPage(ctx, cur)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ids(p.Runs), ids(pages[i-1].Runs)) {
					t.Errorf("back from page %d: %v, want %v", i+1, ids(p.Runs), ids(pages[i-1].Runs))
				}
			}
		})
	}
}

func ids(runs []RunSummary) []int64 {
	var out []int64
	for _, r := range runs {
		out = append(out, r.ID)
	}
	return out
}

func TestRunPageRefusesBadQueries(t *testing.T) {
	db := openTest(t)
	for q, want := range map[RunQuery]string{
		{Limit: 0}:                        "from 1 to 500",
		{Limit: MaxRunPage + 1}:           "not 501",
		{Limit: 5, Status: "happy"}:       `status "happy" is not one of running, succeeded`,
		{Limit: 5, Trigger: "cron"}:       `trigger "cron" is not one of manual`,
		{Limit: 5, Before: -1}:            "positive whole numbers",
		{Limit: 5, Before: 3, After: 1}:   "not both",
		{Limit: 5, Pipeline: "x' OR 1=1"}: "",
	} {
		_, err := db.RunPage(context.Background(), q)
		if want == "" {
			if err != nil {
				t.Errorf("%+v: %v", q, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: err = %v, want %q", q, err, want)
		}
	}
}

func TestRunPipelines(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	for _, p := range []string{"b", "a", "b"} {
		if _, err := db.BeginRun(ctx, Run{Pipeline: p, Trigger: TriggerManual, PipeVersion: "test", Started: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.RunPipelines(ctx)
	if err != nil || !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("RunPipelines = %v, %v", got, err)
	}
}

// The runs list pages through the benchmark registry's 10,000 runs; the
// target is under 100 ms a page:
//
//	go test -run '^$' -bench RunPage ./engine/registry
//
// The first page, one deep in the history, a pipeline's runs (through
// runs_pipeline), and filters no run matches, which walk every run.
func BenchmarkRunPage(b *testing.B) {
	for _, c := range []struct {
		name string
		q    RunQuery
	}{
		{"newest", RunQuery{Limit: 50}},
		{"deep", RunQuery{Limit: 50, Before: 2500}},
		{"pipeline", RunQuery{Limit: 50, Pipeline: "pipeline-050", Before: 5000}},
		{"status-none", RunQuery{Limit: 50, Status: RunFailed}},
		{"trigger-none", RunQuery{Limit: 50, Trigger: TriggerManual}},
		{"newer", RunQuery{Limit: 50, After: 5000}},
	} {
		b.Run(c.name, func(b *testing.B) {
			db := benchDB(b)
			ctx := context.Background()
			cpu0 := cpuTime()
			var n int
			for b.Loop() {
				p, err := db.RunPage(ctx, c.q)
				if err != nil {
					b.Fatal(err)
				}
				n = len(p.Runs)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(n), "runs")
		})
	}
}

// BenchmarkRunPageWalk pages through all 10,000 runs, 50 at a time: the
// time reported is per page.
func BenchmarkRunPageWalk(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	pages := 0
	for b.Loop() {
		q := RunQuery{Limit: 50}
		for {
			p, err := db.RunPage(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			pages++
			if p.Older == 0 {
				break
			}
			q.Before = p.Older
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(pages), "ms/page")
	b.ReportMetric(float64(pages)/float64(b.N), "pages")
}
