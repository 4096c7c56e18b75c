package train

import (
	"math"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
	"github.com/pipe-ml/pipe/steps/shared/media"
	"github.com/pipe-ml/pipe/steps/steptest"
)

// TestNonFiniteData: training data that holds a NaN or ±Inf (a file
// another writer made) is refused with the message reading it gave when
// the whole matrix was searched before the fit, naming the row and the
// feature, though the search now runs only once the fit failed on it:
// with the data read or mapped, and before what else is wrong with it.
func TestNonFiniteData(t *testing.T) {
	const dim = 8
	ds := synthData(3000, dim, 5)
	oneClass := synthData(300, dim, 6)
	oneClass.Y = make([]uint8, oneClass.N)
	nan := float32(math.NaN())
	for _, tt := range []struct {
		name string
		file func() ([]byte, error)
		want string
	}{
		{"nan", func() ([]byte, error) {
			return synth.WithNonFinite(ds, map[int]float32{17*dim + 3: nan, 2000*dim + 1: nan})
		}, "row 18, feature 3: NaN is not a finite number"},
		{"-inf in the last row", func() ([]byte, error) {
			return synth.WithNonFinite(ds, map[int]float32{2999*dim + 7: float32(math.Inf(-1))})
		}, "row 3000, feature 7: -Inf is not a finite number"},
		{"nan in data of one class", func() ([]byte, error) {
			return synth.WithNonFinite(oneClass, map[int]float32{5*dim + 0: nan})
		}, "row 6, feature 0: NaN is not a finite number"},
	} {
		b, err := tt.file()
		if err != nil {
			t.Fatal(err)
		}
		t.Run(tt.name, func(t *testing.T) {
			steptest.EachStore(t, func(t *testing.T, env *steptest.Env) {
				_, err := env.Run(Kind{}, map[string]cty.Value{"data": env.Put(media.Dataset.Type, b).Value()})
				if want := "train: reading the training data: dataset: " + tt.want; err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("error %v, want %q", err, want)
				}
			})
		})
	}
}
