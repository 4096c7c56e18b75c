package serve

import (
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/eval"
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
	}, nil)
	f.expect(OutcomeInvalid)
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
