package metrics

import "math"

// Data is what a classifier is scored on: one row per example.
//
// Labels must be exactly 0 or 1. Scores are the predicted probabilities
// of class 1 (any finite value for the ranking metrics: curves, ROC AUC,
// average precision, [MaxF1]; a value in [0, 1] for [LogLoss] and
// [Evaluate]). Weights, when not nil, are finite and not negative; nil
// means every row weighs 1. A row of weight zero counts nowhere: it is
// left out of the curves (as scikit-learn does) and adds nothing to any
// sum. All slices are read, never modified or kept.
type Data struct {
	Labels  []float64
	Scores  []float64
	Weights []float64
}

// weight returns the weight of row i.
func (d Data) weight(i int) float64 {
	if d.Weights == nil {
		return 1
	}
	return d.Weights[i]
}

// check validates d. With probabilities set, scores must lie in [0, 1].
func (d Data) check(probabilities bool) error {
	n := len(d.Labels)
	if len(d.Scores) != n {
		return dataErrorf(ErrLength, "scores", -1, "%d scores for %d labels; give one score per row", len(d.Scores), n)
	}
	if d.Weights != nil && len(d.Weights) != n {
		return dataErrorf(ErrLength, "weights", -1, "%d weights for %d labels; give one weight per row, or none", len(d.Weights), n)
	}
	if n == 0 {
		return dataErrorf(ErrEmpty, "", -1, "no rows to score")
	}
	if n > math.MaxInt32 {
		return dataErrorf(ErrLength, "", -1, "%d rows are more than the %d this package can sort; score a sample", n, math.MaxInt32)
	}
	for i, y := range d.Labels {
		if y != 0 && y != 1 {
			return dataErrorf(ErrValue, "labels", i, "label %v is neither 0 nor 1; encode the positive class as 1 and the other as 0", y)
		}
	}
	for i, s := range d.Scores {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return dataErrorf(ErrValue, "scores", i, "score %v is not a finite number; check the model's predictions for this row", s)
		}
		if probabilities && (s < 0 || s > 1) {
			return dataErrorf(ErrValue, "scores", i, "score %v is not a probability in [0, 1]; pass the predicted probability of class 1, not a decision value", s)
		}
	}
	if d.Weights != nil {
		nonzero := false
		for i, w := range d.Weights {
			if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
				return dataErrorf(ErrValue, "weights", i, "weight %v is not a finite number >= 0", w)
			}
			nonzero = nonzero || w != 0
		}
		if !nonzero {
			return dataErrorf(ErrEmpty, "weights", -1, "every weight is zero; at least one row must count")
		}
	}
	return nil
}
