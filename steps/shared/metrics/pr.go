package metrics

// PRCurve is the precision-recall curve, scikit-learn 1.2.1's
// precision_recall_curve(y, s, sample_weight=w) array for array. For each
// distinct score, in increasing order, the cut "score >= Thresholds[k]"
// has
//
//	Precision[k] = tps_k / (tps_k + fps_k),   Recall[k] = tps_k / P,
//
// and one last point (Recall 0, Precision 1) without a threshold closes
// the curve, so Precision and Recall are one longer than Thresholds.
// Recall does not increase along the arrays.
type PRCurve struct {
	Precision  []float64 `json:"precision"`
	Recall     []float64 `json:"recall"`
	Thresholds []float64 `json:"thresholds"`
}

// PrecisionRecall returns the precision-recall curve of d. It needs rows
// of class 1 (scikit-learn warns and sets recall to 1 without them); data
// with only class 1 is allowed, its precision is 1 everywhere.
func PrecisionRecall(d Data) (*PRCurve, error) {
	if err := d.check(false); err != nil {
		return nil, err
	}
	r := rank(d)
	if err := r.needPositives("the precision-recall curve"); err != nil {
		return nil, err
	}
	return r.pr(), nil
}

// AveragePrecision returns the area under the precision-recall step
// function, scikit-learn 1.2.1's average_precision_score:
//
//	AP = Σ_k (R_k − R_{k+1}) P_k
//
// over the points of [PrecisionRecall] (R_k decreasing, the last R is 0).
// It is the precision at each cut weighted by the recall it adds, with no
// interpolation; this package reports it as "pr_auc" because it is the
// usual summary of the PR curve. [TrapezoidPRAUC] is the other one.
func AveragePrecision(d Data) (float64, error) {
	c, err := PrecisionRecall(d)
	if err != nil {
		return 0, err
	}
	return c.averagePrecision(), nil
}

// TrapezoidPRAUC returns the area under the precision-recall curve by the
// trapezoidal rule, scikit-learn's auc(recall, precision). Linear
// interpolation between PR points is optimistic; prefer
// [AveragePrecision].
func TrapezoidPRAUC(d Data) (float64, error) {
	c, err := PrecisionRecall(d)
	if err != nil {
		return 0, err
	}
	return trapezoid(c.Recall, c.Precision), nil
}

// pr builds the precision-recall curve; r must hold positives.
func (r *ranked) pr() *PRCurve {
	m := len(r.thresholds)
	c := &PRCurve{
		Precision:  make([]float64, m+1),
		Recall:     make([]float64, m+1),
		Thresholds: make([]float64, m),
	}
	p := r.positives()
	for k := range m {
		j := m - 1 - k // reversed: increasing threshold
		c.Precision[k] = ratio(r.tps[j], r.tps[j]+r.fps[j])
		c.Recall[k] = r.tps[j] / p
		c.Thresholds[k] = r.thresholds[j]
	}
	c.Precision[m] = 1
	return c
}

// averagePrecision is -Σ diff(Recall) · Precision[:-1], as scikit-learn
// writes it.
func (c *PRCurve) averagePrecision() float64 {
	terms := make([]float64, len(c.Recall)-1)
	for k := range terms {
		terms[k] = (c.Recall[k+1] - c.Recall[k]) * c.Precision[k]
	}
	return -pairwiseSum(terms)
}
