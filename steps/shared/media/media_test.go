package media_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/builtin"
	"github.com/pipe-ml/pipe/steps/shared/media"
)

// The kinds of artifact the built-in kinds declare are exactly the ones
// this package holds: each is made by some kind, under one label.
func TestTheBuiltinKindsDeclareThem(t *testing.T) {
	want := []steps.Media{media.Dataset, media.Model, media.Report, media.Plot, media.Trials, media.PredictionsParquet, media.PredictionsCSV}
	slices.SortFunc(want, func(a, b steps.Media) int { return strings.Compare(a.Type, b.Type) })
	kinds := builtin.Catalog()
	if got := kinds.Media(); !slices.Equal(got, want) {
		t.Errorf("the built-in kinds declare\n%v\nwant\n%v", got, want)
	}
	for _, m := range want {
		if len(kinds.Producers(m.Type)) == 0 {
			t.Errorf("no built-in kind makes %s", m)
		}
	}
}
