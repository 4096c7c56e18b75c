package metrics

// ROCCurve is the receiver operating characteristic: for each cut
// "score >= Thresholds[k]", the false and true positive rates
//
//	FPR[k] = fps_k / N,   TPR[k] = tps_k / P,
//
// where fps_k and tps_k are the weights of negative and positive rows at
// or above the cut and N, P the class totals. It is scikit-learn 1.2.1's
// roc_curve(y, s, sample_weight=w) with drop_intermediate=True, array for
// array: cuts that lie on a straight line between their neighbours are
// dropped, and a first point (0, 0) is added with threshold
// Thresholds[1] + 1 (scikit-learn 1.3 and later use +Inf there; 1.2.1,
// and this package, use max score + 1, which JSON can hold).
type ROCCurve struct {
	FPR        []float64 `json:"fpr"`
	TPR        []float64 `json:"tpr"`
	Thresholds []float64 `json:"thresholds"`
}

// ROC returns the ROC curve of d. It needs both classes.
func ROC(d Data) (*ROCCurve, error) {
	if err := d.check(false); err != nil {
		return nil, err
	}
	r := rank(d)
	if err := r.needBoth("the ROC curve"); err != nil {
		return nil, err
	}
	return r.roc(), nil
}

// ROCAUC returns the area under the ROC curve by the trapezoidal rule,
//
//	AUC = Σ_k (FPR[k+1] − FPR[k]) (TPR[k+1] + TPR[k]) / 2,
//
// over the points of [ROC], as scikit-learn 1.2.1's roc_auc_score. Tied
// scores form one cut, so a tie between a positive and a negative row
// counts one half, the Mann–Whitney convention. It needs both classes:
// scikit-learn raises "Only one class present in y_true"; this returns
// an error wrapping [ErrOneClass].
func ROCAUC(d Data) (float64, error) {
	c, err := ROC(d)
	if err != nil {
		return 0, err
	}
	return trapezoid(c.FPR, c.TPR), nil
}

// roc builds the ROC curve; r must hold both classes.
func (r *ranked) roc() *ROCCurve {
	fps, tps, thr := r.fps, r.tps, r.thresholds
	if n := len(fps); n > 2 {
		// Keep the ends and every point where the second difference of
		// fps or tps is non-zero, computed as numpy.diff(x, 2) does.
		keep := make([]int, 0, n)
		keep = append(keep, 0)
		for k := 0; k+2 < n; k++ {
			dfps := (fps[k+2] - fps[k+1]) - (fps[k+1] - fps[k])
			dtps := (tps[k+2] - tps[k+1]) - (tps[k+1] - tps[k])
			if dfps != 0 || dtps != 0 {
				keep = append(keep, k+1)
			}
		}
		keep = append(keep, n-1)
		fps, tps, thr = pick(fps, keep), pick(tps, keep), pick(thr, keep)
	}
	c := &ROCCurve{
		FPR:        make([]float64, len(fps)+1),
		TPR:        make([]float64, len(tps)+1),
		Thresholds: make([]float64, len(thr)+1),
	}
	c.Thresholds[0] = thr[0] + 1
	copy(c.Thresholds[1:], thr)
	n, p := r.negatives(), r.positives()
	for k := range fps {
		c.FPR[k+1] = fps[k] / n
		c.TPR[k+1] = tps[k] / p
	}
	return c
}

// pick returns x[idx[0]], x[idx[1]], ...
func pick(x []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for i, k := range idx {
		out[i] = x[k]
	}
	return out
}

// trapezoid is numpy.trapz(y, x) taken with the direction of x, as
// sklearn.metrics.auc(x, y) for a monotone x:
//
//	± Σ_k (x[k+1] − x[k]) (y[k+1] + y[k]) / 2,
//
// the sign making the area positive when x decreases.
func trapezoid(x, y []float64) float64 {
	if len(x) < 2 {
		return 0
	}
	terms := make([]float64, len(x)-1)
	decreasing := false
	for k := range terms {
		dx := x[k+1] - x[k]
		decreasing = decreasing || dx < 0
		terms[k] = dx * (y[k+1] + y[k]) / 2.0
	}
	area := pairwiseSum(terms)
	if decreasing {
		area = -area
	}
	return area
}
