package search

import (
	"errors"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/steps/steptest"
)

// TestSearchOnTruncatedData truncates the dataset's file in the store
// once the first fit of a search is done, as another process could: the
// fits still running share passes over the mapped rows (a logreg.Batch)
// and fault. The process must not crash nor hang: the step fails with the
// engine's check of the artifact, which names it.
func TestSearchOnTruncatedData(t *testing.T) {
	a, err := steptest.RunTruncated(t, Kind{}, func(env *steptest.Env) cty.Value { return putDataset(t, env, synthData(20_000, 32, 5)) },
		map[string]cty.Value{"space": obj(map[string]cty.Value{
			"C":            nums(0.01, 0.1, 1, 10),
			"class_weight": strs("none", "balanced"),
		})})
	var ce *store.CorruptError
	if !errors.As(err, &ce) {
		t.Fatalf("search on a dataset truncated mid-way: %v; want the store's *CorruptError", err)
	}
	if !strings.Contains(err.Error(), strings.TrimPrefix(a.Digest, "sha256:")[2:]) {
		t.Errorf("the error does not name the object: %v", err)
	}
}
