package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortDescending checks the radix sort against a comparison sort on
// scores with ties, signs, signed zeros, subnormals and extremes.
func TestSortDescending(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 4))
	special := []float64{0, math.Copysign(0, -1), 5e-324, -5e-324, math.MaxFloat64, -math.MaxFloat64,
		math.SmallestNonzeroFloat64, 1, -1, 0.5, 1e-300, -1e300}
	for trial := range 50 {
		n := rng.IntN(3000)
		d := Data{Labels: make([]float64, n), Scores: make([]float64, n)}
		if trial%3 == 0 {
			d.Weights = make([]float64, n)
		}
		for i := range n {
			switch rng.IntN(4) {
			case 0:
				d.Scores[i] = special[rng.IntN(len(special))]
			case 1:
				d.Scores[i] = math.Round(rng.Float64()*100) / 100
			default:
				d.Scores[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(20)-10))
			}
			if d.Weights != nil {
				d.Weights[i] = float64(rng.IntN(3))
			}
		}
		var want []int32
		for i := range n {
			if d.weight(i) != 0 {
				want = append(want, int32(i))
			}
		}
		slices.SortFunc(want, func(a, b int32) int {
			switch sa, sb := d.Scores[a], d.Scores[b]; {
			case sa > sb:
				return -1
			case sa < sb:
				return 1
			}
			return int(b - a)
		})
		if got, _ := sortDescending(d); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("trial %d (n=%d): radix order differs from comparison sort", trial, n)
		}
	}
}
