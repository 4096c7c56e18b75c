package dataset_test

import (
	"context"
	"math"
	"testing"

	"github.com/pipe-ml/pipe/steps/shared/dataset"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
	"github.com/pipe-ml/pipe/steps/shared/media"
	"github.com/pipe-ml/pipe/steps/steptest"
)

// TestOpenUnscanned: a dataset with a NaN opens unscanned, and CheckRow
// names it with Open's message, on its row only.
func TestOpenUnscanned(t *testing.T) {
	env := steptest.NewEnv(t, steptest.LocalStore())
	d := synth.Generate(synth.Config{N: 50, Dim: 8, Seed: 3}).Dataset
	b, err := synth.WithNonFinite(d, map[int]float32{17*8 + 6: float32(math.Inf(-1))})
	if err != nil {
		t.Fatal(err)
	}
	a := env.Put(media.Dataset.Type, b)
	const want = "dataset: row 18, feature 6: -Inf is not a finite number"
	if _, err := dataset.Open(context.Background(), env, a); err == nil || err.Error() != want {
		t.Fatalf("Open: %v, want %q", err, want)
	}
	got, err := dataset.OpenUnscanned(context.Background(), env, a)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got.N {
		err := got.CheckRow(i)
		if i == 17 && (err == nil || err.Error() != want) {
			t.Errorf("CheckRow(17) = %v, want %q", err, want)
		}
		if i != 17 && err != nil {
			t.Errorf("CheckRow(%d) = %v", i, err)
		}
	}
}
