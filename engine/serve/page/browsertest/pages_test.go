package browsertest

import (
	"os"
	"strings"
	"testing"
)

// The site's runs: the intent pipeline's two good applies, its apply
// whose publish failed its requirement, and serve's run of the live
// pipeline (held in progress until the live test releases it).
const (
	firstRun  = "/runs/1"
	secondRun = "/runs/2"
	failedRun = "/runs/3"
)

func TestOverview(t *testing.T) {
	s := openSite(t)
	tb := newTab(t, s)
	tb.open("/")
	tb.contains("h1", "live")
	tb.has(`nav a[href="/runs"]`)
	tb.has(`a[href="` + secondRun + `"]`)
	tb.has(`a[href="/models/intent"]`)
	tb.has(`a[href="/models/intent/versions/2"]`)
	tb.contains("main", "Latest runs")
	tb.has(`link[rel="stylesheet"][href^="/static/pipe.css?v="]`)
}

func TestRunsList(t *testing.T) {
	s := openSite(t)
	tb := newTab(t, s)
	tb.open("/runs")
	if n := tb.count("tbody tr"); n != 4 {
		t.Errorf("/runs lists %d runs, want 4", n)
	}
	// The filters are a plain form: choosing and submitting works with
	// scripts or without.
	tb.eval(`document.querySelector('select[name=status]').value = 'failed'; document.querySelector('form.filters').submit(); true`)
	tb.waitFor(`location.search.includes('status=failed') && document.readyState === 'complete'`)
	tb.noConsoleErrors("/runs?status=failed", "")
	if n := tb.count("tbody tr"); n != 1 {
		t.Errorf("failed runs: %d rows, want 1", n)
	}
	tb.has(`a[href="` + failedRun + `"]`)
	tb.open("/runs?pipeline=intent&limit=2")
	if n := tb.count("tbody tr"); n != 2 {
		t.Errorf("a page of 2: %d rows", n)
	}
	tb.has(`a[rel="next"]`)
	tb.eval(`document.querySelector('a[rel=next]').click(); true`)
	tb.waitFor(`location.search.includes('before=') && document.readyState === 'complete'`)
	if n := tb.count("tbody tr"); n != 1 {
		t.Errorf("the older page: %d rows, want 1", n)
	}
	tb.has(`a[rel="prev"]`)
	tb.open("/runs?trigger=watch")
	tb.has(`a[href="/runs/` + s.liveRun + `"]`)
}

func TestRunPage(t *testing.T) {
	s := openSite(t)
	tb := newTab(t, s)
	tb.open(secondRun)
	tb.contains("h1", "Run 2 of intent")
	// The graph: one box per step, coloured by status, linking its page;
	// an arrow for each use.
	for _, step := range []string{"load.corpus", "search.lr", "train.model", "evaluate.holdout", "publish.release"} {
		tb.has(`svg a.node[data-node="` + step + `"][href="/runs/2/steps/` + step + `"]`)
	}
	if n := tb.count("svg path.edge"); n < 5 {
		t.Errorf("%d edges in the graph", n)
	}
	tb.has(`svg a.node.ran[data-node="publish.release"]`)
	// The timeline: a bar per step, with its duration.
	if n := tb.count("svg a.bar"); n != 5 {
		t.Errorf("%d timeline bars, want 5", n)
	}
	tb.has(`#steps tr[data-step="train.model"] td.took`)
	// The failed run: publish failed, and nothing after it ran.
	tb.open(failedRun)
	tb.has(`svg a.node.failed[data-node="publish.release"]`)
	tb.contains("main", "failed")
	// A click on a box opens the step's page.
	tb.eval(`document.querySelector('a.node[data-node="publish.release"]').dispatchEvent(new MouseEvent('click', {bubbles: true})); true`)
	tb.waitFor(`location.pathname === '/runs/3/steps/publish.release' && document.readyState === 'complete'`)
	tb.noConsoleErrors("/runs/3/steps/publish.release", "")
	tb.contains("#error + pre", "require")
}

func TestStepPage(t *testing.T) {
	s := openSite(t)
	tb := newTab(t, s)
	tb.open("/runs/1/steps/search.lr")
	tb.contains("h1", "search.lr")
	tb.contains("main", "where")
	tb.contains("main", "run 1")
	// Configuration as evaluated, outputs, artifacts with digests.
	tb.has(`th code`)
	tb.contains("main", "strategy")
	tb.contains("main", "best_score")
	tb.has(`a[href="/runs/1/steps/search.lr/trials"]`)
	tb.contains("#artifacts ~ table", "sha256:")
	// No path of the server anywhere.
	if body := tb.text("body"); strings.Contains(body, s.dir) || strings.Contains(body, os.TempDir()+"/") {
		t.Errorf("the step page shows a server path")
	}
	// Where it ran: the executor, the run, how it was applied.
	tb.contains(".facts", "In the apply's own process (the local executor), in run 1, applied by hand (pipe apply)")
	// A warning: load skipped the corpus's invalid row, and says which.
	tb.open("/runs/1/steps/load.corpus")
	tb.contains("#warnings + ul li.warning", "Skipped 1 invalid row of 241")
	tb.contains("#warnings + ul li.warning", `row 242, column emb_0: "n/a" is not a number`)
	// A failed step: the error with its diagnostic (what failed, where in
	// the pipeline, what to do), and its configuration with the sensitive
	// bar redacted, in the error too.
	tb.open("/runs/3/steps/publish.release")
	tb.contains("#error + pre", "Publishing blocked by require")
	tb.contains("#error + pre", "var.min_f1 = (sensitive value)")
	tb.contains("#error + pre", "Improve the model, or change the condition")
	tb.has(`#config ~ table tr[data-field="require"]`)
	tb.contains(`#config ~ table tr[data-field="require"] td`, "(sensitive value)")
	if html, _ := tb.eval(`document.documentElement.outerHTML`).(string); strings.Contains(html, "0.999") {
		t.Errorf("the failed publish's page shows the sensitive min_f1:\n%s", clipped(html[strings.Index(html, "0.999")-100:]))
	}
}

func TestModelPages(t *testing.T) {
	s := openSite(t)
	tb := newTab(t, s)
	tb.open("/models")
	tb.has(`a[href="/models/intent"]`)
	tb.open("/models/intent")
	tb.contains("h1", "intent")
	if n := tb.count("#versions ~ table tbody tr"); n != 2 {
		t.Errorf("%d versions, want 2", n)
	}
	tb.has(`#versions ~ table .delta`)
	// The alias history: publish(es), the promote by hand and the rollback,
	// newest first, with who and why.
	if n := tb.count("ol.timeline li"); n < 3 {
		t.Errorf("%d alias moves, want at least 3", n)
	}
	tb.has(`ol.timeline li[data-by="rollback"]`)
	tb.has(`ol.timeline li[data-by="promote"]`)
	tb.contains("ol.timeline", "bob: the review set was stale")
	tb.contains("ol.timeline", "alice: v1 reads better")
	tb.open("/models/intent/versions/1")
	tb.contains("h1", "intent v1")
	tb.has(`svg a.node.version`)
	tb.has(`svg a.node.execution[href^="/runs/1/steps/"]`)
	tb.has(`svg g.node.artifact`)
}

// TestProblems: bad questions get a page that says what is wrong and
// where to go, with the right status, never a server error.
func TestProblems(t *testing.T) {
	s := openSite(t)
	for path, want := range map[string]string{
		"/runs/424242":                                       "no run 424242",
		"/runs/x":                                            "not a positive whole number",
		"/runs?limit=100000000":                              "limit must be a whole number from 1 to 500",
		"/runs?status=happy":                                 "is not one of",
		"/runs/1/steps/nothing.here":                         "no record of a step",
		"/runs/1/steps/search.lr/other":                      "made no artifact named",
		"/models/nothing":                                    "no model named",
		"/models/intent/versions/99":                         "has no version 99",
		"/models/intent/versions/x":                          "not a version number",
		"/nowhere":                                           "no page at",
		"/runs?before=abc":                                   "before must be a run ID",
		"/runs/99999999999999999999":                         "not a positive whole number",
		"/models/intent/versions/99999999999999999999":       "not a version number",
		"/runs/1/steps/search.lr/trials?sort=trials.nothing": "names no column of this page",
		"/runs/1/steps/search.lr/trials?sort=trials.mean&order=up": "order must be asc or desc",
		"/runs/1/steps/" + strings.Repeat("x", 3000):               "bytes more",
	} {
		code, body := status(t, s.url+path)
		if code < 400 || code >= 500 || !strings.Contains(body, want) || strings.Contains(body, s.dir) {
			t.Errorf("%s: %d, want a 4xx saying %q:\n%s", path, code, want, clipped(body))
		}
	}
	tb := newTab(t, s)
	tb.openProblem("/runs/424242")
	tb.contains("[role=alert]", "no run 424242")
	tb.has(`a[href="/runs"]`)
}

// TestSearchPage: the search's trials as a table with every fold's score,
// sortable in place (and on the server without scripts, TestScriptsOff),
// and the chart of the score against C, a line for each penalty and class
// weight, the folds' spread at each point, the best trial marked.
func TestSearchPage(t *testing.T) {
	s := openSite(t)
	tb := newTab(t, s)
	tb.open("/runs/1/steps/search.lr/trials")
	if n := tb.count("table.sortable tbody tr"); n != 16 {
		t.Errorf("%d trials, want 16", n)
	}
	for _, col := range []string{"trial", "C", "class_weight", "penalty", "mean f1", "std", "rank", "fold 1", "fold 2", "fold 3"} {
		if !strings.Contains(tb.text("table.sortable thead"), col) {
			t.Errorf("no %q column", col)
		}
	}
	tb.has("table.sortable tr.best .badge")
	tb.contains("table.sortable tr.best", "best")
	// The chart: log scale ticks at decades, four series, spreads, a mark.
	if n := tb.count("svg[role=img] g[class^=series]"); n != 4 {
		t.Errorf("%d series, want 4", n)
	}
	if n := tb.count("svg[role=img] line.spread"); n != 16 {
		t.Errorf("%d spreads, want one per trial", n)
	}
	tb.has("svg[role=img] circle.best")
	tb.contains("svg[role=img]", "0.01")
	if n := tb.count("ul.legend li"); n != 4 {
		t.Errorf("legend: %d entries", n)
	}
	tb.contains("ul.legend", "penalty l1")
	// Sorting in place: a click on "mean f1" orders the rows by it, a
	// second reverses them, without leaving the page.
	tb.eval(`window.stillThisPage = true`)
	means := `Array.from(document.querySelectorAll('table.sortable tbody tr')).map(r => parseFloat(r.cells[4].getAttribute('data-value')))`
	tb.eval(`document.querySelector('th a[data-sort="trials.mean"]').click(); true`)
	if ok, _ := tb.eval(`(() => { const m = ` + means + `; return m.every((v, i) => i === 0 || m[i-1] <= v); })()`).(bool); !ok {
		t.Errorf("not sorted ascending: %v", tb.eval(means))
	}
	tb.has(`th[aria-sort="ascending"] a[data-sort="trials.mean"]`)
	tb.eval(`document.querySelector('th a[data-sort="trials.mean"]').click(); true`)
	if ok, _ := tb.eval(`(() => { const m = ` + means + `; return m.every((v, i) => i === 0 || m[i-1] >= v); })()`).(bool); !ok {
		t.Errorf("not sorted descending: %v", tb.eval(means))
	}
	if v, _ := tb.eval(`window.stillThisPage === true && location.search.includes('order=desc')`).(bool); !v {
		t.Errorf("sorting left the page, or the address does not say the order: %s", tb.location())
	}
	tb.noConsoleErrors("sorting", "")
}
