package search

import (
	"errors"
	"slices"
	"testing"

	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

func TestStratifiedKFold(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		rate float64
		k    int
	}{
		{"balanced", 1000, 0.5, 5},
		{"imbalanced", 997, 0.07, 5},
		{"two folds", 101, 0.3, 2},
		{"minority equals folds", 200, 0.03, 6},
		{"ten folds", 5003, 0.3, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := synth.Generate(synth.Config{N: tc.n, Dim: 16, PositiveRate: tc.rate, Seed: 3})
			pos := g.Positives()
			if pos < tc.k {
				t.Skipf("only %d positives", pos)
			}
			f, err := StratifiedKFold(g.Y, tc.k, 11)
			if err != nil {
				t.Fatal(err)
			}
			seen := make([]int, tc.n)
			sizes := make([]int, tc.k)
			for fold := range tc.k {
				test, train := f.Test(fold), f.Train(fold)
				if len(test)+len(train) != tc.n {
					t.Fatalf("fold %d: %d test + %d train rows, want %d", fold, len(test), len(train), tc.n)
				}
				if !slices.IsSorted(test) || !slices.IsSorted(train) {
					t.Fatalf("fold %d: rows not sorted", fold)
				}
				p := 0
				for _, i := range test {
					seen[i]++
					p += int(g.Y[i])
				}
				sizes[fold] = len(test)
				// The fold's positives are within one row of its share.
				lo, hi := pos/tc.k, (pos+tc.k-1)/tc.k
				if p < lo || p > hi {
					t.Errorf("fold %d: %d positives of %d, want %d…%d", fold, p, len(test), lo, hi)
				}
				neg := len(test) - p
				lo, hi = (tc.n-pos)/tc.k, (tc.n-pos+tc.k-1)/tc.k
				if neg < lo || neg > hi {
					t.Errorf("fold %d: %d negatives, want %d…%d", fold, neg, lo, hi)
				}
			}
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("row %d is in %d test sets", i, c)
				}
			}
			if slices.Max(sizes)-slices.Min(sizes) > 1 {
				t.Errorf("test set sizes %v differ by more than one", sizes)
			}

			again, _ := StratifiedKFold(g.Y, tc.k, 11)
			if !slices.Equal(again.Assign, f.Assign) {
				t.Error("the same seed gave other folds")
			}
			other, _ := StratifiedKFold(g.Y, tc.k, 12)
			if slices.Equal(other.Assign, f.Assign) {
				t.Error("another seed gave the same folds")
			}
		})
	}
}

func TestStratifiedKFoldTooFew(t *testing.T) {
	y := []uint8{0, 0, 0, 0, 0, 0, 1, 1, 1}
	_, err := StratifiedKFold(y, 4, 0)
	var tf *TooFewError
	if !errors.As(err, &tf) || tf.Class != 1 || tf.Rows != 3 || tf.Folds != 4 {
		t.Fatalf("got %v, want a TooFewError for class 1 with 3 rows", err)
	}
	if _, err := StratifiedKFold(y, 3, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := StratifiedKFold(y, 1, 0); err == nil {
		t.Fatal("1 fold: no error")
	}
	if _, err := StratifiedKFold([]uint8{0, 0, 0}, 2, 0); !errors.As(err, &tf) || tf.Class != 1 || tf.Rows != 0 {
		t.Fatalf("one class: got %v", err)
	}
}
