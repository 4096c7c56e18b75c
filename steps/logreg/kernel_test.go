package logreg

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestKernelsMatchGeneric checks that the assembly kernels, when this
// build has them, give exactly the bits of the portable ones for every
// length around the block sizes.
func TestKernelsMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 70; n++ {
		x := make([]float32, n)
		w := make([]float64, n+3)
		for j := range x {
			x[j] = float32(rng.NormFloat64())
		}
		for j := range w {
			w[j] = rng.NormFloat64() * 1e3
		}
		got, want := dot(x, w), dotGeneric(x, w)
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("n=%d: dot = %v, generic %v", n, got, want)
		}
		naive := 0.0
		for j := range x {
			naive += float64(x[j]) * w[j]
		}
		if math.Abs(got-naive) > 1e-9*(1+math.Abs(naive))*float64(n+1) {
			t.Errorf("n=%d: dot = %v, naive sum %v", n, got, naive)
		}
		y1 := append([]float64(nil), w...)
		y2 := append([]float64(nil), w...)
		a := rng.NormFloat64()
		axpy(a, x, y1)
		axpyGeneric(a, x, y2)
		for j := range y1 {
			if math.Float64bits(y1[j]) != math.Float64bits(y2[j]) {
				t.Fatalf("n=%d: axpy[%d] = %v, generic %v", n, j, y1[j], y2[j])
			}
		}
		for j := n; j < len(w); j++ {
			if y1[j] != w[j] {
				t.Fatalf("n=%d: axpy wrote past len(x) at %d", n, j)
			}
		}
	}
	t.Logf("assembly kernels in use: %v", useAVX2)
}
