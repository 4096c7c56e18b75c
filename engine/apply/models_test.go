package apply

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/pipeline"
	"github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/testkinds"
	"github.com/pipe-ml/pipe/steps/publish"
)

const publishPipeline = `
pipeline "t" {}

source "train" {
  path = "data/*.txt"
}

source "holdout" {
  path = "other/*.txt"
}

fakemodel "m" {
  data    = source.train.data
  eval    = source.holdout.data
  quality = 0.9
}

publish "release" {
  model   = fakemodel.m.model
  report  = fakemodel.m.report
  to      = "models/clf"
  require = fakemodel.m.f1 >= 0.5
  alias   = "champion"
}
`

// applyWithPublish plans with the test kinds and publish, and applies.
func (f *fixture) applyWithPublish() *Result {
	f.t.Helper()
	kinds := testkinds.Catalog(f.counter)
	kinds.Register(publish.Kind{})
	p, diags := pipeline.Load(pipeline.Options{Path: f.dir, Kinds: kinds})
	if diags.HasErrors() {
		f.t.Fatal(diags)
	}
	pl, diags := plan.Make(context.Background(), plan.Options{Pipeline: p, Store: f.store, Files: f.files})
	if diags.HasErrors() {
		f.t.Fatal(diags)
	}
	runID, err := f.reg.BeginRun(context.Background(), registry.Run{Pipeline: "t", Trigger: registry.TriggerManual, PipeVersion: "test"})
	if err != nil {
		f.t.Fatal(err)
	}
	res, err := Execute(context.Background(), Options{Plan: pl, Store: f.store, Files: f.files, Registry: f.reg, RunID: runID, Parallelism: 2})
	if err != nil {
		f.t.Fatal(err)
	}
	f.reg.EndRun(context.Background(), runID, res.Status(), "")
	return res
}

func stepResult(res *Result, addr string) *StepResult {
	for _, s := range res.Steps {
		if s.Addr.String() == addr {
			return s
		}
	}
	return nil
}

// The publish step gets the registry through its Env, with its own
// execution, so the version it records leads back to it.
func TestPublishRecordsTheVersionAgainstItsExecution(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, publishPipeline)
	res := f.applyWithPublish()
	rel := stepResult(res, "publish.release")
	if rel.Status != Ran {
		t.Fatalf("publish: %s %v %v", rel.Status, rel.Err, res.Diagnostics)
	}
	v, err := f.reg.ResolveModel(ctx, "clf@champion")
	if err != nil {
		t.Fatal(err)
	}
	if v.Version != 1 || v.ExecutionID != rel.ExecutionID || v.Metrics["f1"] != 0.9 {
		t.Errorf("version %+v, publish execution %d", v, rel.ExecutionID)
	}
	g, err := f.reg.Upstream(ctx, "clf@champion", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{fmt.Sprintf("execution:%d", rel.ExecutionID), fmt.Sprintf("execution:%d", stepResult(res, "fakemodel.m").ExecutionID)} {
		if g.Node(want) == nil {
			t.Errorf("lineage of clf@champion lacks %s", want)
		}
	}

	// Nothing changed: publish is cached, no new version.
	res = f.applyWithPublish()
	if s := stepResult(res, "publish.release").Status; s != Cached {
		t.Errorf("second apply: publish %s", s)
	}
	// A better model: version 2 takes the alias.
	f.edit("quality = 0.9", "quality = 0.95")
	res = f.applyWithPublish()
	if out := stepResult(res, "publish.release").Outputs; out.GetAttr("version").AsBigFloat().String() != "2" || !out.GetAttr("promoted").True() {
		t.Errorf("new model: %#v", out)
	}
	// A model below the bar: blocked, with the expression and its value.
	f.edit("quality = 0.95", "quality = 0.3")
	res = f.applyWithPublish()
	if s := stepResult(res, "publish.release").Status; s != Failed {
		t.Fatalf("blocked publish: %s", s)
	}
	var found bool
	for _, d := range res.Diagnostics {
		if d.Summary == "Publishing blocked by require" {
			found = true
			if !strings.Contains(d.Detail, "fakemodel.m.f1 >= 0.5 (fakemodel.m.f1 = 0.3) is false") || d.Subject == nil || d.Subject.Start.Line != 22 {
				t.Errorf("diagnostic: %s at %v", d.Detail, d.Subject)
			}
		}
	}
	if !found {
		t.Errorf("diagnostics: %v", res.Diagnostics)
	}
	d, _ := f.reg.Model(ctx, "clf")
	if len(d.Versions) != 2 || d.Aliases[0].Version != 2 {
		t.Errorf("model: %+v", d)
	}
}
