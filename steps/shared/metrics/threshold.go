package metrics

import "math"

// Cut is a decision threshold chosen from the data.
type Cut struct {
	// Score is the lowest score predicted class 1: the cut selects the
	// rows with score >= Score.
	Score float64 `json:"score"`
	// Threshold is the largest float64 below Score, so that the rule of
	// this package, "score > Threshold", selects the same rows.
	Threshold float64 `json:"threshold"`
	// F1 is the F1 score of the cut, 2 TP / (2 TP + FP + FN).
	F1 float64 `json:"f1"`
}

// MaxF1 returns the cut that maximises F1 on d. The candidates are the
// distinct scores s of the rows of non-zero weight, each meaning the cut
// "score >= s" (the thresholds of [PrecisionRecall]); the F1 of a cut is
// computed from its weighted counts as
//
//	F1(s) = 2 TP(s) / (2 TP(s) + FP(s) + FN(s)),
//
// a single division, so cuts whose F1 is the same fraction tie exactly.
// Among equal F1 the largest s wins: the fewest rows predicted positive.
// The result is deterministic and does not depend on row order. It needs
// rows of class 1 (otherwise every F1 is 0).
func MaxF1(d Data) (Cut, error) {
	if err := d.check(false); err != nil {
		return Cut{}, err
	}
	r := rank(d)
	if err := r.needPositives("choosing the threshold of maximum F1"); err != nil {
		return Cut{}, err
	}
	return r.maxF1(), nil
}

// maxF1 is MaxF1 on ranked data with positives.
func (r *ranked) maxF1() Cut {
	p := r.positives()
	best := Cut{F1: -1}
	// Thresholds decrease, so the first of equal F1 is the largest score.
	for k, s := range r.thresholds {
		tp, fp := r.tps[k], r.fps[k]
		if f1 := 2 * tp / (2*tp + fp + (p - tp)); f1 > best.F1 {
			best = Cut{Score: s, Threshold: math.Nextafter(s, math.Inf(-1)), F1: f1}
		}
	}
	return best
}
