package browsertest

import (
	"os"
	"testing"
)

// TestLiveRun watches serve's run of the live pipeline: transform.held is
// running when the page opens; once the test releases it, the page shows
// it ran and transform.after running, without a reload; once after is
// released too, the run ends and the page shows it succeeded.
func TestLiveRun(t *testing.T) {
	s := openSite(t)
	tb := newTab(t, s)
	run := "/runs/" + s.liveRun
	tb.open(run)
	tb.has(`body[data-live="/api/runs/` + s.liveRun + `/events"]`)
	tb.has(`script[src^="/static/live.js?v="]`)
	tb.has(`noscript`) // with scripts off, the page reloads itself instead
	tb.has(`svg .node.running[data-node="transform.held"]`)
	tb.has(`svg .node.planned[data-node="transform.after"]`)
	tb.contains(`#steps tr[data-step="transform.held"] .status`, "running")
	// A mark that a reload would wipe out.
	tb.eval(`window.stillThisPage = true`)

	if err := os.WriteFile(s.gates[0], []byte("go"), 0o644); err != nil {
		t.Fatal(err)
	}
	tb.waitFor(`!!document.querySelector('svg .node.ran[data-node="transform.held"]') && !!document.querySelector('svg .node.running[data-node="transform.after"]')`)
	if v, _ := tb.eval(`window.stillThisPage === true`).(bool); !v {
		t.Fatal("the page reloaded to show the step's progress")
	}
	tb.contains(`#steps tr[data-step="transform.held"] .status`, "ran")
	tb.noConsoleErrors(run+" (live)", "")

	if err := os.WriteFile(s.gates[1], []byte("go"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The end reloads the page once, for the final timeline.
	tb.waitFor(`window.stillThisPage !== true && document.readyState === 'complete' && !!document.querySelector('.badge.succeeded')`)
	tb.has(`svg a.node.ran[data-node="transform.after"]`)
	tb.has(`svg a.bar[data-bar="transform.after"]`)
	if tb.count(`body[data-live]`) != 0 {
		t.Error("the ended run's page still follows events")
	}
	tb.noConsoleErrors(run+" (ended)", "")
}
