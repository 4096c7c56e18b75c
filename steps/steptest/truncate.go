package steptest

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
)

// RunTruncated runs kind over a local store with attrs and, as "data",
// the dataset artifact that put stores; the artifact's file is truncated
// once the step reports its first progress, as another process could. It
// returns the artifact and the run's error, for the test to check that
// the step failed naming it and neither crashed nor hung.
func RunTruncated(t testing.TB, kind steps.Kind, put func(*Env) cty.Value, attrs map[string]cty.Value) (steps.Artifact, error) {
	t.Helper()
	var path string
	var once sync.Once
	env := NewEnv(t, LocalStore(), OnProgress(func(done, _ int64, _ string) {
		if done >= 1 {
			once.Do(func() {
				if err := os.Truncate(path, 0); err != nil {
					t.Error(err)
				}
			})
		}
	}))
	data := put(env)
	a, err := steps.ArtifactFromValue(data)
	if err != nil {
		t.Fatal(err)
	}
	path = strings.TrimPrefix(env.Store().URI(a.Digest), "file://")
	all := map[string]cty.Value{"data": data}
	for k, v := range attrs {
		all[k] = v
	}
	_, err = env.Run(kind, all)
	return a, err
}
