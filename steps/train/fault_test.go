package train

import (
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/steps/steptest"
)

// TestTrainOnTruncatedData truncates the dataset's file in the store
// while the fit runs, after its first iteration, as another process
// could: the step reads the data in place, so the fit's next pass faults
// (SIGBUS) in its kernels. The process must not crash: the step fails,
// and the error is the engine's check of the artifact, which names it and
// says it was truncated.
func TestTrainOnTruncatedData(t *testing.T) {
	a, err := steptest.RunTruncated(t, Kind{}, func(env *steptest.Env) cty.Value { return putDataset(t, env, synthData(20_000, 64, 9)) },
		map[string]cty.Value{"params": cty.ObjectVal(map[string]cty.Value{"C": cty.NumberFloatVal(1)})})
	var ce *store.CorruptError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "truncated") && !strings.Contains(err.Error(), "changed") {
		t.Fatalf("train on a dataset truncated mid-fit: %v; want the store's *CorruptError saying it was truncated", err)
	}
	if !strings.Contains(err.Error(), strings.TrimPrefix(a.Digest, "sha256:")[2:]) {
		t.Errorf("the error does not name the object: %v", err)
	}
	t.Log(err)
}

// TestTrainInPlace: over a local store, train reads the dataset in place
// and makes the same model as over memory.
func TestTrainInPlace(t *testing.T) {
	ds := synthData(3000, 16, 2)
	models := map[string]string{}
	steptest.EachStore(t, func(t *testing.T, env *steptest.Env) {
		out, err := env.Run(Kind{}, map[string]cty.Value{
			"data":   putDataset(t, env, ds),
			"params": cty.ObjectVal(map[string]cty.Value{"C": cty.NumberFloatVal(0.3)}),
		})
		if err != nil {
			t.Fatal(err)
		}
		models[path.Base(t.Name())] = string(env.Read(out["model"]))
	})
	if models["memory"] != models["mapped"] {
		t.Errorf("the model trained on mapped data differs from the one trained in memory")
	}
}
