package plan_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/pipeline"
	. "github.com/pipe-ml/pipe/engine/plan"
)

// write replaces the pipeline with src.
func (e *env) write(src string) {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.dir, "main.pipe.hcl"), []byte(src), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// makeWith plans with the pipeline's default executor def.
func (e *env) makeWith(def string) (*Plan, string) {
	e.t.Helper()
	p, diags := pipeline.Load(pipeline.Options{Path: e.dir, Kinds: e.kinds})
	if diags.HasErrors() {
		e.t.Fatal(diags)
	}
	pl, diags := Make(context.Background(), Options{Pipeline: p, Store: e.store, Files: e.files, Executor: def})
	if diags.HasErrors() {
		return nil, diags.Error()
	}
	return pl, ""
}

const placed = `
pipeline "p" {}
source "in" {
  path = "data/*.txt"
}
transform "t" {
  input  = source.in.data
  factor = 2
  RESOURCES
}
`

// The resources block is never part of the cache key: where a step runs
// and what it asks for never change what it computes.
func TestResourcesAreNotKeyed(t *testing.T) {
	e := newEnv(t)
	e.apply() // the source's key is then known, and so the transform's
	var keys []string
	for _, res := range []string{
		"",
		`resources { cpu = 2 }`,
		`resources {
    executor = "kubernetes"
    cpu      = "500m"
    memory   = "4Gi"
    ephemeral_storage = "1Gi"
    timeout  = "1h"
    retries  = 5
    shards   = 8
  }`,
	} {
		e.write(strings.Replace(placed, "RESOURCES", res, 1))
		pl, errs := e.makeWith("")
		if errs != "" {
			t.Fatal(errs)
		}
		s := pl.Step(transform)
		if s.Key == "" || s.Action != Cached {
			t.Fatalf("resources %q: key %q, action %s (%s)", res, s.Key, s.Action, reasons(s))
		}
		keys = append(keys, s.Key)
	}
	if keys[0] != keys[1] || keys[0] != keys[2] {
		t.Errorf("keys differ with resources: %q", keys)
	}
}

func TestPlanSaysWhereStepsRun(t *testing.T) {
	e := newEnv(t)
	e.write(strings.Replace(placed, "RESOURCES", `resources {
    cpu    = 2
    memory = "4Gi"
  }`, 1))
	for _, tc := range []struct {
		def       string
		source, t RunsOn
	}{
		{"", RunsOn{Executor: "local"}, RunsOn{Executor: "local", Resources: "cpu=2, memory=4Gi"}},
		{"kubernetes", RunsOn{Executor: "local", Reason: "reads local files"}, RunsOn{Executor: "kubernetes", Resources: "cpu=2, memory=4Gi"}},
	} {
		pl, errs := e.makeWith(tc.def)
		if errs != "" {
			t.Fatal(errs)
		}
		d := pl.Document("test")
		got := map[string]RunsOn{}
		for _, s := range d.Steps {
			if s.RunsOn == nil {
				t.Fatalf("%s runs and says not where", s.Address)
			}
			got[s.Address] = *s.RunsOn
		}
		if got["source.in"] != tc.source || got["transform.t"] != tc.t {
			t.Errorf("executor %q: runs on %+v", tc.def, got)
		}
	}

	// The pipeline's settings.executor is the default when the plan is
	// given none.
	e.write(`settings { executor = "kubernetes" }` + strings.Replace(placed, "RESOURCES", "", 1))
	pl, _ := e.makeWith("")
	if s := pl.Step(transform); s.Placement.Executor != "kubernetes" {
		t.Errorf("with settings.executor, transform runs on %s", s.Placement)
	}
	// -executor=local beats settings.executor.
	pl, _ = e.makeWith("local")
	if s := pl.Step(transform); s.Placement.Executor != "local" {
		t.Errorf("with -executor=local, transform runs on %s", s.Placement)
	}
}

// A step holding a sensitive value never leaves the coordinator: naming
// a remote executor for it is an error at the executor attribute.
func TestSensitiveStepStays(t *testing.T) {
	e := newEnv(t)
	src := `
variable "mode" {
  default   = "upper"
  sensitive = true
}` + strings.Replace(placed, "RESOURCES", "mode = var.mode\n  RESOURCES", 1)
	e.write(strings.Replace(src, "RESOURCES", "", 1))
	pl, errs := e.makeWith("kubernetes")
	if errs != "" {
		t.Fatal(errs)
	}
	if s := pl.Step(transform); s.Placement.String() != "local (holds a sensitive value)" {
		t.Errorf("sensitive transform runs on %s", s.Placement)
	}
	e.write(strings.Replace(src, "RESOURCES", `resources { executor = "kubernetes" }`, 1))
	_, errs = e.makeWith("")
	if !strings.Contains(errs, "Step cannot leave the coordinator") || !strings.Contains(errs, "main.pipe.hcl:14") || !strings.Contains(errs, "holds a sensitive value") {
		t.Errorf("plan of a sensitive step sent to kubernetes: %s", errs)
	}
}
