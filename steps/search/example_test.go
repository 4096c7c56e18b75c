package search_test

import (
	"context"
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps/search"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
)

// The trials of a grid: keys in sorted order, the last varying fastest.
func ExampleCandidates() {
	space := cty.ObjectVal(map[string]cty.Value{
		"C":            cty.TupleVal([]cty.Value{cty.NumberFloatVal(0.1), cty.NumberIntVal(1)}),
		"class_weight": cty.TupleVal([]cty.Value{cty.StringVal("none"), cty.StringVal("balanced")}),
	})
	params, _, err := search.Candidates(space, search.Grid, 0, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range params {
		fmt.Printf("C=%g class_weight=%s\n", p.C, p.ClassWeight)
	}
	// Output:
	// C=0.1 class_weight=none
	// C=0.1 class_weight=balanced
	// C=1 class_weight=none
	// C=1 class_weight=balanced
}

// Cross-validate three values of C on generated data.
func ExampleCrossValidate() {
	g := synth.Generate(synth.Config{N: 2000, Dim: 32, Seed: 1})
	folds, err := search.StratifiedKFold(g.Y, 5, 7)
	if err != nil {
		fmt.Println(err)
		return
	}
	var cands []logreg.Params
	for _, c := range []float64{0.01, 1, 100} {
		p := logreg.DefaultParams()
		p.C = c
		cands = append(cands, p)
	}
	res, err := search.CrossValidate(context.Background(), &search.Problem{
		Data:       &logreg.Data{X: g.X, N: g.N, D: g.Dim, Y: g.LabelsFloat64()},
		Folds:      folds,
		Candidates: cands,
		Metric:     search.ROCAUC,
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range res.Trials {
		fmt.Printf("C=%-5g roc_auc %.3f ± %.3f  rank %d\n", t.Params.C, t.Mean, t.Std, t.Rank)
	}
	fmt.Println("best C:", res.Trials[res.Best].Params.C, "fits:", res.Fits)
	// Output:
	// C=0.01  roc_auc 0.933 ± 0.020  rank 1
	// C=1     roc_auc 0.933 ± 0.019  rank 2
	// C=100   roc_auc 0.932 ± 0.020  rank 3
	// best C: 0.01 fits: 15
}
