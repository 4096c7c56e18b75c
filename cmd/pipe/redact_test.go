package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/registry"
)

// A step that fails quoting a sensitive variable's value: apply prints
// it redacted (text and -json), the registry records it redacted (the
// execution's error and the run's), and runs show prints it so.
func TestSensitiveValueInAStepError(t *testing.T) {
	const secret = "98765.4321"
	const want = "factor must be a whole number, not (sensitive value)"
	dir := copyDir(t, "testdata/pipelines/ok")
	f, err := os.OpenFile(filepath.Join(dir, "main.pipe.hcl"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`
variable "token" {
  type      = number
  sensitive = true
}

transform "quiet" {
  input  = source.corpus.data
  factor = var.token
}
`)
	f.Close()
	env := []string{"PIPE_VAR_token=" + secret}

	text := pipe(t, dir, env, "apply", "-no-color").expect(t, 1)
	js := pipe(t, dir, env, "apply", "-json").expect(t, 1)
	show := pipe(t, dir, nil, "runs", "show", "1").expect(t, 0)
	showJSON := pipe(t, dir, nil, "runs", "show", "-json", "2").expect(t, 0)
	for name, out := range map[string]string{
		"apply": text.stdout + text.stderr, "apply -json": js.stdout + js.stderr,
		"runs show": show.stdout, "runs show -json": showJSON.stdout,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("%s does not show the redacted error %q:\n%s", name, want, out)
		}
		if strings.Contains(out, secret) {
			t.Errorf("%s shows the sensitive value:\n%s", name, out)
		}
	}

	reg, err := registry.Open(context.Background(), filepath.Join(dir, ".pipe", "registry.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	for _, id := range []int64{1, 2} {
		run, err := reg.Run(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != registry.RunFailed || !strings.Contains(run.Error, "(sensitive value)") || strings.Contains(run.Error, secret) {
			t.Errorf("run %d: status %s, error %q", id, run.Status, run.Error)
		}
		found := false
		for _, e := range run.Executions {
			if strings.Contains(e.Error, secret) {
				t.Errorf("run %d: %s records the sensitive value: %s", id, e.Step, e.Error)
			}
			found = found || e.Step == "transform.quiet" && strings.Contains(e.Error, want)
		}
		if !found {
			t.Errorf("run %d: no redacted error recorded for transform.quiet: %+v", id, run.Executions)
		}
	}
}
