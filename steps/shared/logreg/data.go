package logreg

import (
	"fmt"
	"math"
)

// Data is a training set for binary logistic regression: a float32 feature
// matrix, 0/1 labels, optional sample weights, and optionally the rows of
// them that make up this set.
//
// A fold of a cross-validation is a Data that shares X, Y and Weight with
// the whole set and lists its own Rows: no feature is copied, so any
// number of folds cost one matrix. [Data.Subset] makes such views. The
// trainer never writes to X, Y, Weight or Rows; the caller must not
// change them during a fit.
type Data struct {
	// X holds N rows of D features each, row-major: row i is
	// X[i*D : (i+1)*D].
	X []float32
	// N is the number of rows stored in X, D the number of features.
	N, D int
	// Y holds N labels, each 0 or 1.
	Y []float64
	// Weight holds N finite, non-negative sample weights, or is nil when
	// every row weighs 1.
	Weight []float64
	// Rows, when non-nil, lists the rows (indices into X, Y and Weight)
	// that make up this set; a row may be listed more than once. Nil means
	// all N rows. The order of Rows does not matter: a fit sorts a copy
	// of it, so any permutation of the same rows gives the same bits.
	Rows []int32
}

// Len returns the number of rows in the set: len(Rows), or N when Rows is
// nil.
func (d *Data) Len() int {
	if d.Rows != nil {
		return len(d.Rows)
	}
	return d.N
}

// Subset returns a view of the rows of d listed in rows, which index d's
// own rows (so a subset of a subset picks from the subset). The view
// shares X, Y and Weight with d.
func (d *Data) Subset(rows []int32) (*Data, error) {
	if err := d.checkShape(); err != nil {
		return nil, err
	}
	n := d.Len()
	out := make([]int32, len(rows))
	for k, r := range rows {
		if r < 0 || int(r) >= n {
			return nil, fmt.Errorf("logreg: subset row %d (position %d) is out of range: the set has %d rows", r, k, n)
		}
		if d.Rows != nil {
			r = d.Rows[r]
		}
		out[k] = r
	}
	s := *d
	s.Rows = out
	return &s, nil
}

// Check verifies everything a fit relies on, including that every feature
// in the rows of the set is finite, which takes a pass over them. A fit
// checks the same things but finds a non-finite feature only when its
// first pass over the data produces a non-finite objective, so that it
// costs nothing on good data.
func (d *Data) Check() error {
	if err := d.checkLabels(); err != nil {
		return err
	}
	return d.checkFinite()
}

// checkShape checks lengths and row indices: O(len(Rows)).
func (d *Data) checkShape() error {
	switch {
	case d.N < 0 || d.D < 1:
		return fmt.Errorf("logreg: data has %d rows of %d features: want at least one feature", d.N, d.D)
	case d.N > 0 && d.D > math.MaxInt/d.N, len(d.X) != d.N*d.D:
		return fmt.Errorf("logreg: X has %d values, want N×D = %d×%d", len(d.X), d.N, d.D)
	case len(d.Y) != d.N:
		return fmt.Errorf("logreg: Y has %d labels, want one per row (N = %d)", len(d.Y), d.N)
	case d.Weight != nil && len(d.Weight) != d.N:
		return fmt.Errorf("logreg: Weight has %d values, want one per row (N = %d) or none", len(d.Weight), d.N)
	}
	for k, r := range d.Rows {
		if r < 0 || int(r) >= d.N {
			return fmt.Errorf("logreg: Rows[%d] = %d is out of range: X has %d rows", k, r, d.N)
		}
	}
	return nil
}

// checkLabels checks the shape, the labels and weights of the rows in the
// set, and that both classes are present: O(len(Rows)) or O(N).
func (d *Data) checkLabels() error {
	if err := d.checkShape(); err != nil {
		return err
	}
	n := d.Len()
	if n == 0 {
		return fmt.Errorf("logreg: no rows to train on")
	}
	var count [2]int
	var weight [2]float64
	for p := range n {
		i := d.row(p)
		y := d.Y[i]
		if y != 0 && y != 1 {
			return fmt.Errorf("logreg: row %d: label %v is not 0 or 1", i, y)
		}
		count[int(y)]++
		w := 1.0
		if d.Weight != nil {
			w = d.Weight[i]
			if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
				return fmt.Errorf("logreg: row %d: sample weight %v is not a finite number >= 0", i, w)
			}
		}
		weight[int(y)] += w
	}
	if count[0] == 0 || count[1] == 0 {
		only := 0
		if count[1] > 0 {
			only = 1
		}
		return fmt.Errorf("logreg: all %d rows have label %d: training needs both classes", n, only)
	}
	if weight[0] == 0 || weight[1] == 0 {
		zero := 0
		if weight[1] == 0 {
			zero = 1
		}
		return fmt.Errorf("logreg: the rows of class %d have zero total sample weight: training needs weight on both classes", zero)
	}
	return nil
}

// checkFinite finds the first non-finite feature in the rows of the set.
func (d *Data) checkFinite() error {
	for p := range d.Len() {
		i := d.row(p)
		for j, v := range d.X[i*d.D : (i+1)*d.D] {
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				return fmt.Errorf("logreg: row %d, feature %d: value %v is not finite", i, j, v)
			}
		}
	}
	return nil
}

// row returns the index in X of the p-th row of the set.
func (d *Data) row(p int) int {
	if d.Rows != nil {
		return int(d.Rows[p])
	}
	return p
}
