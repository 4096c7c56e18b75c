package serve

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/applies"
)

func TestSensitiveValuesStayOut(t *testing.T) {
	const secret = "hunter2-s3cr3t"
	src := validPipeline + `
variable "token" {
  type      = number
  sensitive = true
}

transform "quiet" {
  input  = source.corpus.data
  factor = var.token
}
`
	f := start(t, writePipeline(t, src), func(o *Options) {
		o.Workspace.Env = append(o.Workspace.Env, "PIPE_VAR_token="+secret)
		o.Workspace.Vars = eval.VarInputs{Env: o.Workspace.Env, Args: []eval.VarArg{{Assign: "token=" + secret + "-from-a-flag"}}}
	})
	f.expect(applies.OutcomeInvalid)
	_, ready, _ := f.get("/readyz")
	_, readyJSON, _ := f.get("/readyz?format=json")
	_, status, _ := f.get("/api/status")
	_, page, _ := f.get("/")
	if !strings.Contains(ready, "Invalid value for variable") || !strings.Contains(ready, "(sensitive value)") {
		t.Errorf("/readyz does not show the redacted diagnostic:\n%s", ready)
	}
	if strings.Contains(ready, "-from-a-flag") {
		t.Errorf("/readyz shows part of the value given by -var:\n%s", ready)
	}
	for name, body := range map[string]string{"/readyz": ready, "/readyz?format=json": readyJSON, "/api/status": status, "/": page, "logs": f.logs.String()} {
		if strings.Contains(body, secret) {
			t.Errorf("%s shows the sensitive value:\n%s", name, body)
		}
	}
}

// TestSensitiveValueInAStepError: a step that fails quoting a sensitive
// value (from the environment or from a variable file) has its error
// shown redacted in serve's logs, API and page.
func TestSensitiveValueInAStepError(t *testing.T) {
	const secret = "98765.4321"
	src := validPipeline + `
variable "token" {
  type      = number
  sensitive = true
}

transform "quiet" {
  input  = source.corpus.data
  factor = var.token
}
`
	for _, from := range []string{"env", "var-file"} {
		t.Run(from, func(t *testing.T) {
			dir := writePipeline(t, src)
			f := start(t, dir, func(o *Options) {
				if from == "env" {
					o.Workspace.Env = append(o.Workspace.Env, "PIPE_VAR_token="+secret)
					o.Workspace.Vars = eval.VarInputs{Env: o.Workspace.Env}
					return
				}
				varFile := filepath.Join(t.TempDir(), "secret.vars.hcl")
				write(t, varFile, "token = "+secret+"\n")
				o.Workspace.Vars = eval.VarInputs{Env: o.Workspace.Env, Args: []eval.VarArg{{File: varFile}}}
			})
			c := f.expect(applies.OutcomeApplied)
			if c.Status != "failed" {
				t.Fatalf("check %+v, want a failed run", c)
			}
			_, status, _ := f.get("/api/status")
			_, runs, _ := f.get("/api/runs")
			_, run, _ := f.get("/api/runs/1")
			_, page, _ := f.get("/")
			if !strings.Contains(run, "factor must be a whole number, not (sensitive value)") {
				t.Errorf("/api/runs/1 does not show the redacted error:\n%s", run)
			}
			if !strings.Contains(page, "not (sensitive value)") {
				t.Errorf("the page does not show the redacted error:\n%s", page)
			}
			if !strings.Contains(f.logs.String(), `"error":"factor: Not a whole number: factor must be a whole number, not (sensitive value)."`) {
				t.Errorf("the log does not show the redacted error:\n%s", f.logs.String())
			}
			for name, body := range map[string]string{"/api/status": status, "/api/runs": runs, "/api/runs/1": run, "/": page, "logs": f.logs.String()} {
				if strings.Contains(body, secret) {
					t.Errorf("%s shows the sensitive value:\n%s", name, grep(body, secret))
				}
			}
		})
	}
}

// TestSensitiveValueIsNotTextReplaced is issue 20's reproduction: with a
// sensitive min_f1 = 0.8, serve used to replace "0.8" wherever it
// appeared, so an F1 of 0.8882 became "(sensitive value)882", the JSON
// answers broke and the leftover digits gave the value away. Serve now
// encodes recorded values and never edits text: the F1 goes out whole,
// and every JSON answer parses.
func TestSensitiveValueIsNotTextReplaced(t *testing.T) {
	src := validPipeline + `
variable "min_f1" {
  type      = number
  sensitive = true
}

fakemodel "m" {
  data    = source.corpus.data
  eval    = source.corpus.data
  quality = 0.8882
}
`
	f := start(t, writePipeline(t, src), func(o *Options) {
		o.Workspace.Env = append(o.Workspace.Env, "PIPE_VAR_min_f1=0.8")
		o.Workspace.Vars = eval.VarInputs{Env: o.Workspace.Env}
	})
	c := f.expect(applies.OutcomeApplied)
	if c.Status != "succeeded" {
		t.Fatalf("check %+v", c)
	}
	// Publish the model as the publish step would, with its metrics.
	var run registry.RunDetail
	f.getJSON("/api/runs/1", 200, &run)
	digests := map[string]string{}
	for _, e := range run.Executions {
		for _, a := range e.Produced {
			digests[a.Name] = a.Digest
		}
	}
	db, err := registry.Open(context.Background(), filepath.Join(f.state, "registry.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateModelVersion(context.Background(), registry.ModelVersion{Model: "intent", ModelDigest: digests["model"], ReportDigest: digests["report"],
		Metrics: map[string]float64{"f1": 0.8882, "accuracy": 0.8}, RunID: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetAlias(context.Background(), "intent", "champion", 1, registry.Reason{Trigger: registry.MoveByPublish, RunID: 1}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for _, path := range []string{"/api/models", "/api/models/intent", "/api/runs/1", "/api/runs", "/api/lineage?ref=intent@champion", "/api/status", "/readyz?format=json"} {
		code, body, _ := f.get(path)
		if code != 200 || !json.Valid([]byte(body)) {
			t.Errorf("%s: %d, not valid JSON:\n%s", path, code, body)
		}
		if strings.Contains(body, lang.Redacted) {
			t.Errorf("%s rewrites text:\n%s", path, grep(body, lang.Redacted))
		}
	}
	for _, path := range []string{"/api/models", "/api/runs/1", "/api/lineage?ref=intent@champion", "/", "/metrics"} {
		if _, body, _ := f.get(path); !strings.Contains(body, "0.8882") {
			t.Errorf("%s does not show the F1 0.8882 whole:\n%s", path, body)
		}
	}
	if _, metrics, _ := f.get("/metrics"); !strings.Contains(metrics, `pipe_model_metric{alias="champion",metric="f1",model="intent",version="1"} 0.8882`) {
		t.Errorf("/metrics:\n%s", grep(metrics, "pipe_model_metric"))
	}
	if logs := f.logs.String(); strings.Contains(logs, lang.Redacted+"882") {
		t.Errorf("the logs rewrite text:\n%s", grep(logs, lang.Redacted))
	}
}
