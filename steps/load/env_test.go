package load

import (
	"testing"

	"github.com/pipe-ml/pipe/steps/steptest"
)

// testEnv runs the step over the engine's own Env (steps/steptest:
// engine/stepenv over a mem:// engine/store), created by run for the
// pipeline folder it is given.
type testEnv struct {
	*steptest.Env
	par int
}

func newTestEnv(_ testing.TB, par int) *testEnv { return &testEnv{par: par} }

// warnings returns the recorded warnings as "summary: detail".
func (e *testEnv) warnings() []string {
	var out []string
	for _, w := range e.Warnings() {
		out = append(out, w.Summary+": "+w.Detail)
	}
	return out
}
