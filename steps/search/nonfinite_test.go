package search

import (
	"math"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
	"github.com/pipe-ml/pipe/steps/shared/media"
	"github.com/pipe-ml/pipe/steps/steptest"
)

// TestNonFiniteData: the search opens its dataset unscanned, so a NaN
// or ±Inf in a file another writer made is found only once a fold's fit
// failed on it (or the classes did not suit the folds), and is refused
// then with the message a scan on opening gave, row and feature named:
// for a mapped dataset (a local store) and one read into memory alike.
func TestNonFiniteData(t *testing.T) {
	const dim = 8
	cases := map[string]struct {
		rows    int
		at      int // row·dim + feature
		value   float32
		classes bool // the labels of both classes; else all 0
		want    string
	}{
		"nan in the first rows": {2000, 17*dim + 3, float32(math.NaN()), true, "row 18, feature 3: NaN"},
		"-inf in the last row":  {2000, 1999*dim + 7, float32(math.Inf(-1)), true, "row 2000, feature 7: -Inf"},
		"nan, one class":        {300, 5 * dim, float32(math.NaN()), false, "row 6, feature 0: NaN"},
	}
	for name, c := range cases {
		ds := synthData(c.rows, dim, 5)
		if !c.classes {
			ds.Y = make([]uint8, ds.N)
		}
		b, err := synth.WithNonFinite(ds, map[int]float32{c.at: c.value})
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			steptest.EachStore(t, func(t *testing.T, env *steptest.Env) {
				attrs := map[string]cty.Value{"data": env.Put(media.Dataset.Type, b).Value(), "space": cty.ObjectVal(map[string]cty.Value{"C": nums(0.1, 1)})}
				_, err := env.Run(Kind{}, attrs)
				if want := "search: reading the data: dataset: " + c.want + " is not a finite number"; err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error %v, want %q", err, want)
				}
			})
		})
	}
}
