package metrics

import (
	"cmp"
	"math"
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

// rank sorts checked data: the one sort behind a [Report].
func rank(d Data) ranked {
	order, keys := sortDescending(d)
	distinct := 0
	for k := range keys {
		if k == len(keys)-1 || keys[k+1] != keys[k] {
			distinct++
		}
	}
	r := ranked{
		thresholds: make([]float64, 0, distinct),
		tps:        make([]float64, 0, distinct),
		fps:        make([]float64, 0, distinct),
	}
	var tp, fp float64
	for k, i := range order {
		if d.Labels[i] == 1 {
			tp += d.weight(int(i))
		} else if d.Weights != nil {
			fp += d.Weights[i]
		}
		if k == len(order)-1 || keys[k+1] != keys[k] {
			r.thresholds = append(r.thresholds, d.Scores[i])
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

// sortDescending returns the indices of the rows of non-zero weight by
// decreasing score, ties by decreasing index, and their sort keys (equal
// keys are equal scores). It is a stable LSD radix sort, one byte at a
// time, on keys whose unsigned order is the reverse of the scores' order;
// the rows go in by decreasing index, so stability orders ties. Scores are finite; -0 is made +0 first, so the two tie as
// they do in NumPy. Passes in which every key has the same byte are
// skipped (for probabilities, the top bytes mostly are).
func sortDescending(d Data) (order []int32, keys []uint64) {
	n := len(d.Scores)
	keys = make([]uint64, 0, n)
	idx := make([]int32, 0, n)
	for i := n - 1; i >= 0; i-- {
		if d.weight(i) == 0 {
			continue
		}
		k := math.Float64bits(d.Scores[i] + 0) // -0 + 0 = +0
		if k>>63 == 1 {
			k = ^k // negative: larger magnitude sorts lower
		} else {
			k |= 1 << 63
		}
		keys = append(keys, ^k) // descending
		idx = append(idx, int32(i))
	}
	m := len(keys)
	keys2 := make([]uint64, m)
	idx2 := make([]int32, m)
	var count [256]int
	for shift := uint(0); shift < 64; shift += 8 {
		count = [256]int{}
		for _, k := range keys {
			count[byte(k>>shift)]++
		}
		if m == 0 || count[byte(keys[0]>>shift)] == m {
			continue
		}
		pos := 0
		for b, c := range count {
			count[b] = pos
			pos += c
		}
		for j, k := range keys {
			b := byte(k >> shift)
			keys2[count[b]] = k
			idx2[count[b]] = idx[j]
			count[b]++
		}
		keys, keys2 = keys2, keys
		idx, idx2 = idx2, idx
	}
	return idx, keys
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
