package serve

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/eval"
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
