package metrics

import (
	"cmp"
	"slices"
)

// ranked is the data sorted once by decreasing score and cut at every
// distinct score: scikit-learn's _binary_clf_curve. Entry k describes the
// cut "score >= thresholds[k]":
//
//	tps[k] = Σ w_i [y_i = 1][s_i >= thresholds[k]]
//	fps[k] = Σ w_i [y_i = 0][s_i >= thresholds[k]]
//
// Rows of weight zero are left out, as scikit-learn does. Rows are
// ordered by decreasing score, ties by decreasing row index (the reverse
// of a stable ascending sort, which is what scikit-learn does), and the
// sums are running sums in that order, so the floating-point values are
// the reference's own.
type ranked struct {
	thresholds []float64 // distinct scores, decreasing
	tps, fps   []float64 // non-decreasing; tps[last], fps[last] are the class totals
}

// rank sorts checked data. It is the one O(n log n) step of a [Report].
func rank(d Data) ranked {
	type row struct {
		score float64
		index int
	}
	rows := make([]row, 0, len(d.Scores))
	for i, s := range d.Scores {
		if d.weight(i) != 0 {
			rows = append(rows, row{s, i})
		}
	}
	// Keys are unique (the index breaks ties), so any sort gives this one
	// order.
	slices.SortFunc(rows, func(a, b row) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(b.index, a.index)
	})
	var r ranked
	var tp, fp float64
	for k, rw := range rows {
		if d.Labels[rw.index] == 1 {
			tp += d.weight(rw.index)
		} else if d.Weights != nil {
			fp += d.Weights[rw.index]
		}
		if k == len(rows)-1 || rows[k+1].score != rw.score {
			r.thresholds = append(r.thresholds, rw.score)
			r.tps = append(r.tps, tp)
			if d.Weights == nil {
				// scikit-learn: fps = 1 + threshold_idxs - tps.
				r.fps = append(r.fps, float64(1+k)-tp)
			} else {
				r.fps = append(r.fps, fp)
			}
		}
	}
	return r
}

// positives and negatives are the class totals (weights of rows of class
// 1 and 0).
func (r *ranked) positives() float64 { return r.tps[len(r.tps)-1] }
func (r *ranked) negatives() float64 { return r.fps[len(r.fps)-1] }

// needBoth returns an error unless both classes have non-zero weight.
func (r *ranked) needBoth(what string) error {
	if r.negatives() == 0 {
		return dataErrorf(ErrOneClass, "labels", -1, "%s needs both classes but every row with non-zero weight has label 1", what)
	}
	return r.needPositives(what)
}

// needPositives returns an error unless class 1 has non-zero weight.
func (r *ranked) needPositives(what string) error {
	if r.positives() == 0 {
		return dataErrorf(ErrOneClass, "labels", -1, "%s needs rows of class 1 but every row with non-zero weight has label 0", what)
	}
	return nil
}

// cutAbove returns the number of leading entries of r whose threshold is
// greater than t: the cut "score > t" is entry cutAbove(t)-1, or no row
// at all when it returns 0.
func (r *ranked) cutAbove(t float64) int {
	// The first entry with threshold <= t; thresholds decrease.
	k, _ := slices.BinarySearchFunc(r.thresholds, t, func(s, t float64) int {
		return cmp.Compare(t, s)
	})
	return k
}

// confusion returns the confusion matrix of the cut "score > t".
func (r *ranked) confusion(t float64) Confusion {
	var tp, fp float64
	if k := r.cutAbove(t); k > 0 {
		tp, fp = r.tps[k-1], r.fps[k-1]
	}
	return Confusion{TN: r.negatives() - fp, FP: fp, FN: r.positives() - tp, TP: tp}
}
