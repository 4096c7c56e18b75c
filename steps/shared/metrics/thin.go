package metrics

import "math"

// thin returns the indices of the points of the curve (x[i], y[i]) that
// move at least step, in x or in y, from the last point kept, always
// keeping the first and the last. The kept points are points of the
// curve, unchanged; between two kept points the curve strays less than
// step from the segment (or step) that joins them. Since the ROC curve
// is monotone in both coordinates, at most about 2/step + 2 of its points
// are kept.
func thin(x, y []float64, step float64, alsoKeep int) []int {
	keep := make([]int, 0, min(len(x), int(min(2/step+2, 1<<20))))
	for i := range x {
		if i > 0 && i < len(x)-1 && i != alsoKeep {
			last := keep[len(keep)-1]
			if math.Abs(x[i]-x[last]) < step && math.Abs(y[i]-y[last]) < step {
				continue
			}
		}
		keep = append(keep, i)
	}
	return keep
}

// thinned returns c with only the points thin keeps.
func (c ROCCurve) thinned(step float64) ROCCurve {
	keep := thin(c.FPR, c.TPR, step, -1)
	return ROCCurve{FPR: pick(c.FPR, keep), TPR: pick(c.TPR, keep), Thresholds: pick(c.Thresholds, keep)}
}

// thinned returns c with only the points thin keeps, the last point with
// a threshold included, so Thresholds stays one shorter than the others.
func (c PRCurve) thinned(step float64) PRCurve {
	m := len(c.Thresholds)
	keep := thin(c.Recall, c.Precision, step, m-1)
	return PRCurve{
		Precision:  pick(c.Precision, keep),
		Recall:     pick(c.Recall, keep),
		Thresholds: pick(c.Thresholds, keep[:len(keep)-1]),
	}
}
