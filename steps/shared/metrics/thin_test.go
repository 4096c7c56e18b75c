package metrics

import (
	"errors"
	"math"
	"testing"
)

// isSubsequence reports whether sub is a subsequence of full.
func isSubsequence(sub, full []float64) bool {
	j := 0
	for _, v := range full {
		if j < len(sub) && sub[j] == v {
			j++
		}
	}
	return j == len(sub)
}

func TestCurveStep(t *testing.T) {
	d := synthetic(13, 20000, 0.3, 0, false)
	full := mustEvaluate(t, d, nil)
	const step = 0.001
	thinned := mustEvaluate(t, d, &Settings{Threshold: 0.5, CurveStep: step})

	// Everything but the curves is the same.
	a, b := *full, *thinned
	a.ROC, a.PR, b.ROC, b.PR = ROCCurve{}, PRCurve{}, ROCCurve{}, PRCurve{}
	if a.ROCAUC != b.ROCAUC || a.PRAUC != b.PRAUC || a.TrapezoidPRAUC != b.TrapezoidPRAUC || a.F1 != b.F1 {
		t.Errorf("thinning changed the metrics: %+v vs %+v", a, b)
	}

	if n := len(thinned.ROC.FPR); n > int(2/step)+2 || n >= len(full.ROC.FPR) {
		t.Errorf("ROC kept %d of %d points", n, len(full.ROC.FPR))
	}
	if n := len(thinned.PR.Recall); n >= len(full.PR.Recall)/4 {
		t.Errorf("PR kept %d of %d points", n, len(full.PR.Recall))
	}
	t.Logf("ROC %d → %d points, PR %d → %d", len(full.ROC.FPR), len(thinned.ROC.FPR), len(full.PR.Recall), len(thinned.PR.Recall))

	for what, pair := range map[string][2][]float64{
		"ROC.FPR": {thinned.ROC.FPR, full.ROC.FPR}, "ROC.TPR": {thinned.ROC.TPR, full.ROC.TPR},
		"ROC.Thresholds": {thinned.ROC.Thresholds, full.ROC.Thresholds},
		"PR.Precision":   {thinned.PR.Precision, full.PR.Precision}, "PR.Recall": {thinned.PR.Recall, full.PR.Recall},
		"PR.Thresholds": {thinned.PR.Thresholds, full.PR.Thresholds},
	} {
		sub, all := pair[0], pair[1]
		if !isSubsequence(sub, all) {
			t.Errorf("%s: the thinned points are not points of the curve", what)
		}
		if sub[0] != all[0] || sub[len(sub)-1] != all[len(all)-1] {
			t.Errorf("%s: the ends moved", what)
		}
	}
	if len(thinned.ROC.FPR) != len(thinned.ROC.Thresholds) || len(thinned.ROC.TPR) != len(thinned.ROC.FPR) {
		t.Error("ROC arrays differ in length")
	}
	if len(thinned.PR.Precision) != len(thinned.PR.Recall) || len(thinned.PR.Thresholds) != len(thinned.PR.Recall)-1 {
		t.Error("PR arrays do not keep one threshold fewer than points")
	}
	// Every dropped point is within a step of the last point kept before
	// it, in both coordinates.
	for name, c := range map[string][2][]float64{
		"ROC": {full.ROC.FPR, full.ROC.TPR}, "PR": {full.PR.Recall, full.PR.Precision},
	} {
		x, y := c[0], c[1]
		keep := thin(x, y, step, -1)
		last, k := 0, 0
		for i := range x {
			if k < len(keep) && keep[k] == i {
				last, k = i, k+1
				continue
			}
			if math.Abs(x[i]-x[last]) >= step || math.Abs(y[i]-y[last]) >= step {
				t.Fatalf("%s point %d dropped though a step away from point %d", name, i, last)
			}
		}
	}
}

func TestCurveStepInvalid(t *testing.T) {
	d := Data{Labels: []float64{0, 1}, Scores: []float64{0.2, 0.7}}
	for _, step := range []float64{-0.1, math.NaN(), math.Inf(1)} {
		if _, err := Evaluate(d, &Settings{CurveStep: step}); !errors.Is(err, ErrSettings) {
			t.Errorf("CurveStep %v: %v", step, err)
		}
	}
	// A step larger than the curve keeps the ends (and the PR curve's
	// last threshold).
	r := mustEvaluate(t, synthetic(14, 100, 0.5, 0, false), &Settings{CurveStep: 2})
	if len(r.ROC.FPR) != 2 || len(r.PR.Recall) != 3 || len(r.PR.Thresholds) != 2 {
		t.Errorf("step 2 kept ROC %d, PR %d/%d points", len(r.ROC.FPR), len(r.PR.Recall), len(r.PR.Thresholds))
	}
}
