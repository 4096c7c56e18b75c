// Package synth makes the synthetic embedding-like data sets that the
// logreg benchmarks and the side-by-side with scikit-learn train on. It is
// a stand-in, private to steps/logreg, until steps/dataset/synth (which
// owns realistic test data for the whole project) is ready.
package synth

import (
	"math"
	"math/rand/v2"
)

// Embeddings returns n unit-norm rows of dimension d, row-major, with
// labels 0 or 1: about 30% of rows are positive, the two classes differ in
// their means along a rank-8 subspace, the rest is isotropic noise, and 5%
// of the labels are flipped. The same (n, d, seed) gives the same data.
func Embeddings(n, d int, seed uint64) (x []float32, y []float64) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	const rank = 8
	basis := make([][]float64, rank)
	for k := range basis {
		basis[k] = make([]float64, d)
		for j := range basis[k] {
			basis[k][j] = rng.NormFloat64() / math.Sqrt(float64(d))
		}
	}
	shift := make([]float64, rank)
	for k := range shift {
		shift[k] = 0.6 * rng.NormFloat64()
	}
	x = make([]float32, n*d)
	y = make([]float64, n)
	row := make([]float64, d)
	for i := range n {
		pos := rng.Float64() < 0.3
		for j := range row {
			row[j] = 0.35 * rng.NormFloat64() / math.Sqrt(float64(d))
		}
		for k := range basis {
			c := rng.NormFloat64()
			if pos {
				c += shift[k]
			}
			for j := range row {
				row[j] += c * basis[k][j]
			}
		}
		norm := 0.0
		for _, v := range row {
			norm += v * v
		}
		norm = math.Sqrt(norm)
		for j, v := range row {
			x[i*d+j] = float32(v / norm)
		}
		if rng.Float64() < 0.05 {
			pos = !pos
		}
		if pos {
			y[i] = 1
		}
	}
	return x, y
}
