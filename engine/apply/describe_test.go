package apply

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/pipe-ml/pipe/engine/registry"
)

// A step_finished event says what the registry records: the execution,
// what it used and produced, its configuration and plain outputs.
func TestFinishedEventsDescribeTheExecution(t *testing.T) {
	f := newFixture(t, basePipeline)
	pl := f.plan(nil, nil)
	runID, err := f.reg.BeginRun(context.Background(), registry.Run{Pipeline: "t", Trigger: registry.TriggerManual, PipeVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	finished := map[string]Event{}
	_, err = Execute(context.Background(), Options{
		Plan: pl, Store: f.store, Files: f.files, Registry: f.reg, RunID: runID, Parallelism: 2,
		Events: func(e Event) {
			if e.Type == StepFinished {
				mu.Lock()
				finished[e.Step] = e
				mu.Unlock()
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	src := finished["source.corpus"]
	if src.ExecutionID == 0 || len(src.Used) != 2 || src.Used[0].Path != "data/a.txt" || src.Used[0].URI != "" {
		t.Errorf("source.corpus used %+v (execution %d)", src.Used, src.ExecutionID)
	}
	if len(src.Produced) != 1 || src.Produced[0].Name != "data" || !strings.HasPrefix(src.Produced[0].URI, "file://") {
		t.Errorf("source.corpus produced %+v", src.Produced)
	}
	var outs, cfg map[string]any
	if json.Unmarshal(src.Outputs, &outs) != nil || outs["lines"] != 4.0 || outs["data"] != nil {
		t.Errorf("source.corpus outputs %s", src.Outputs)
	}
	shout := finished["transform.shout"]
	if json.Unmarshal(shout.Config, &cfg) != nil || cfg["factor"] != 2.0 {
		t.Errorf("transform.shout config %s", shout.Config)
	}
	if len(shout.Used) != 1 || shout.Used[0].Digest != src.Produced[0].Digest || shout.Used[0].URI != src.Produced[0].URI {
		t.Errorf("transform.shout used %+v, want source.corpus's data", shout.Used)
	}
	d, err := f.reg.Execution(context.Background(), shout.ExecutionID)
	if err != nil || d.Step != "transform.shout" {
		t.Errorf("execution %d is %+v, %v", shout.ExecutionID, d, err)
	}
}
