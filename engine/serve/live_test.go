package serve

import (
	"bufio"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/serve/applies"
)

// TestLiveEvents: a run's event stream shows its steps as the apply goes:
// the held step running, then ran once released, then the end. The step
// waits for a file the test writes, so nothing depends on timing.
func TestLiveEvents(t *testing.T) {
	gate := filepath.Join(t.TempDir(), "go")
	dir := writePipeline(t, validPipeline+`
transform "held" {
  input    = transform.shout.out
  wait_for = "`+gate+`"
}
`)
	f := start(t, dir, nil)
	run := strconv.FormatInt(f.waitRunning("transform.held"), 10)

	resp, err := http.Get(f.url + "/api/runs/" + run + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" || resp.StatusCode != 200 {
		t.Fatalf("events: %d %q", resp.StatusCode, ct)
	}
	events := bufio.NewScanner(resp.Body)
	next := func() (string, string) {
		var event, data string
		for events.Scan() {
			line := events.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			case line == "" && event != "":
				return event, data
			}
		}
		t.Fatalf("the stream ended: %v", events.Err())
		return "", ""
	}
	held := func(data string) string {
		var p applies.Progress
		if err := json.Unmarshal([]byte(data), &p); err != nil {
			t.Fatalf("progress %q: %v", data, err)
		}
		for _, s := range p.Steps {
			if s.Step == "transform.held" {
				return s.Status
			}
		}
		return ""
	}
	if e, d := next(); e != "progress" || held(d) != "running" {
		t.Fatalf("first event %s %s", e, d)
	}
	write(t, gate, "go")
	for {
		e, d := next()
		if e == "end" {
			t.Fatal("the run ended before the held step was shown as ran")
		}
		if held(d) == "ran" {
			break
		}
	}
	if e, _ := next(); e != "end" {
		t.Errorf("after the last step: %s, want end", e)
	}
	if c := f.expect(applies.OutcomeApplied); c.Status != "succeeded" {
		t.Errorf("check %+v", c)
	}
	// A run that is not in progress ends its stream at once.
	code, body, _ := f.get("/api/runs/" + run + "/events")
	if code != 200 || !strings.Contains(body, "event: end") {
		t.Errorf("events of an ended run: %d %q", code, body)
	}
	f.getJSON("/api/runs/999/events", 404, nil)
}
