package search

import (
	"fmt"
)

// Folds is a k-fold split of n rows: Assign[i] is the fold (0 … K−1) whose
// test set holds row i. Fold f trains on every other row.
type Folds struct {
	K      int
	Assign []uint8
}

// StratifiedKFold splits the rows with the given 0/1 labels into k folds
// whose class proportions match the whole set's: each fold's test set holds
// ⌊nᶜ/k⌋ or ⌈nᶜ/k⌉ of the nᶜ rows of class c, and the test sets' sizes
// differ by at most one row.
//
// The rows of each class are shuffled by a PCG source seeded with seed,
// then, class 0 first, dealt to the folds in turn (row number p of the
// concatenation goes to fold p mod k). This is scikit-learn's
// StratifiedKFold(n_splits=k, shuffle=True) in spirit; the assignment of
// particular rows differs, as its shuffle uses NumPy's generator. The same
// labels, k and seed always give the same folds.
//
// It returns an error when k < 2 or k > 255, or when a class has fewer than
// k rows: a fold's test set would then hold none of them.
func StratifiedKFold(labels []uint8, k int, seed uint64) (*Folds, error) {
	if k < 2 || k > 255 {
		return nil, fmt.Errorf("search: %d folds: want between 2 and 255", k)
	}
	var byClass [2][]int32
	for i, y := range labels {
		if y > 1 {
			return nil, fmt.Errorf("search: row %d: label %d is not 0 or 1", i, y)
		}
		byClass[y] = append(byClass[y], int32(i))
	}
	for c, rows := range byClass {
		if len(rows) < k {
			return nil, &TooFewError{Class: c, Rows: len(rows), Folds: k}
		}
	}
	r := newRNG(seed, streamFolds)
	f := &Folds{K: k, Assign: make([]uint8, len(labels))}
	p := 0
	for _, rows := range byClass {
		shuffle(r, rows)
		for _, i := range rows {
			f.Assign[i] = uint8(p % k)
			p++
		}
	}
	return f, nil
}

// TooFewError says that a class has fewer rows than there are folds.
type TooFewError struct {
	Class, Rows, Folds int
}

func (e *TooFewError) Error() string {
	return fmt.Sprintf("search: class %d has %d rows, fewer than the %d folds: every fold needs at least one row of each class", e.Class, e.Rows, e.Folds)
}

// Train returns the rows fold f trains on, in increasing order.
func (f *Folds) Train(fold int) []int32 { return f.rows(fold, false) }

// Test returns the rows of fold f's test set, in increasing order.
func (f *Folds) Test(fold int) []int32 { return f.rows(fold, true) }

func (f *Folds) rows(fold int, test bool) []int32 {
	n := 0
	for _, a := range f.Assign {
		if int(a) == fold {
			n++
		}
	}
	if !test {
		n = len(f.Assign) - n
	}
	out := make([]int32, 0, n) // exactly: the training rows are most of them
	for i, a := range f.Assign {
		if (int(a) == fold) == test {
			out = append(out, int32(i))
		}
	}
	return out
}
