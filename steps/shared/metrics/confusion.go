package metrics

import "math"

// Confusion is the (weighted) confusion matrix of a cut: the total weight
// of the rows in each cell, counts when there are no weights. Class 1 is
// "positive".
//
//	            predicted 0   predicted 1
//	label 0         TN            FP
//	label 1         FN            TP
//
// scikit-learn's confusion_matrix(y, pred, labels=[0, 1]) is
// [[TN, FP], [FN, TP]].
type Confusion struct {
	TN float64 `json:"tn"`
	FP float64 `json:"fp"`
	FN float64 `json:"fn"`
	TP float64 `json:"tp"`
}

// ConfusionAt returns the confusion matrix of the cut "score > threshold"
// (see the package comment for why the comparison is strict). Scores may
// be any finite values. It needs no sort: one pass over the rows.
func ConfusionAt(d Data, threshold float64) (Confusion, error) {
	if err := d.check(false); err != nil {
		return Confusion{}, err
	}
	if math.IsNaN(threshold) {
		return Confusion{}, dataErrorf(ErrThreshold, "", -1, "threshold is NaN")
	}
	var c Confusion
	for i, y := range d.Labels {
		w := d.weight(i)
		switch pos := d.Scores[i] > threshold; {
		case y == 1 && pos:
			c.TP += w
		case y == 1:
			c.FN += w
		case pos:
			c.FP += w
		default:
			c.TN += w
		}
	}
	return c, nil
}

// Accuracy is the weighted fraction of rows predicted right,
//
//	(TP + TN) / (TP + TN + FP + FN),
//
// as scikit-learn's accuracy_score; 0 for an empty matrix.
func (c Confusion) Accuracy() float64 {
	return ratio(c.TP+c.TN, c.TP+c.TN+c.FP+c.FN)
}

// Precision is TP / (TP + FP), the fraction of predicted positives that
// are positive. When nothing is predicted positive it is 0, as
// scikit-learn's precision_score with zero_division=0 (and its default
// "warn", which warns and returns 0).
func (c Confusion) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP / (TP + FN), the fraction of positives found; 0 when there
// are no positives, as recall_score with zero_division=0.
func (c Confusion) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// F1 is the harmonic mean of precision P and recall R,
//
//	F1 = 2 P R / (P + R)  (= 2 TP / (2 TP + FP + FN)),
//
// computed from P and R as scikit-learn 1.2.1's f1_score does; 0 when
// P + R = 0, which covers every undefined case (zero_division=0).
func (c Confusion) F1() float64 {
	p, r := c.Precision(), c.Recall()
	return ratio(2*p*r, p+r)
}

// ratio returns a/b, or 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
