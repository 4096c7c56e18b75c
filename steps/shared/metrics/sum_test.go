package metrics

import (
	"math"
	"testing"
)

func TestPairwiseSum(t *testing.T) {
	// Small integers add exactly in any order: every split must see every
	// element once.
	for n := range 600 {
		x := make([]float64, n)
		want := 0.0
		for i := range x {
			x[i] = float64(i%7 + 1)
			want += x[i]
		}
		if got := pairwiseSum(x); got != want {
			t.Fatalf("n=%d: pairwiseSum = %v, want %v", n, got, want)
		}
	}
	// 0.1 a million times: the pairwise error stays far below the plain
	// loop's (about 1.3e-6 here).
	x := make([]float64, 1_000_000)
	for i := range x {
		x[i] = 0.1
	}
	if got := pairwiseSum(x); math.Abs(got-100000) > 1e-9 {
		t.Errorf("pairwiseSum of 1e6 × 0.1 = %.17g", got)
	}
}
