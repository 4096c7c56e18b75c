package search

import (
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/steptest"
)

// TestSearchOnTruncatedData truncates the dataset's file in the store
// once the first fit of a search is done, as another process could: the
// fits still running share passes over the mapped rows (a logreg.Batch)
// and fault. The process must not crash nor hang: the step fails with the
// engine's check of the artifact, which names it.
func TestSearchOnTruncatedData(t *testing.T) {
	var path string
	var once sync.Once
	env := steptest.NewEnv(t, steptest.LocalStore(), steptest.OnProgress(func(done, _ int64, _ string) {
		if done >= 1 {
			once.Do(func() {
				if err := os.Truncate(path, 0); err != nil {
					t.Error(err)
				}
			})
		}
	}))
	data := putDataset(t, env, synthData(20_000, 32, 5))
	a, _ := steps.ArtifactFromValue(data)
	path = strings.TrimPrefix(env.Store().URI(a.Digest), "file://")
	_, err := env.Run(Kind{}, map[string]cty.Value{
		"data": data,
		"space": obj(map[string]cty.Value{
			"C":            nums(0.01, 0.1, 1, 10),
			"class_weight": strs("none", "balanced"),
		}),
	})
	var ce *store.CorruptError
	if !errors.As(err, &ce) {
		t.Fatalf("search on a dataset truncated mid-way: %v; want the store's *CorruptError", err)
	}
	if !strings.Contains(err.Error(), strings.TrimPrefix(a.Digest, "sha256:")[2:]) {
		t.Errorf("the error does not name the object: %v", err)
	}
}
