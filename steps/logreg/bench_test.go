package logreg

import (
	"runtime"
	"sync"
	"testing"

	"github.com/pipe-ml/pipe/steps/logreg/internal/synth"
)

// The benchmarks run on the shape of the privacy-intent data: 100k unit-norm
// rows of 584 float32 features, about 30% positive.
const benchN, benchD = 100_000, 584

var benchData = sync.OnceValue(func() *Data {
	x, y := synth.Embeddings(benchN, benchD, 1)
	return &Data{X: x, N: benchN, D: benchD, Y: y}
})

// BenchmarkPass measures one fused pass (margins, loss and gradient) over
// the matrix; b.SetBytes makes the rate comparable with BenchmarkMemorySum.
func BenchmarkPass(b *testing.B) {
	data := benchData()
	e := newEvaluator(data, [2]float64{1, 1}, runtime.GOMAXPROCS(0))
	w := make([]float64, data.D)
	for j := range w {
		w[j] = float64(j%7-3) * 0.1
	}
	g := make([]float64, data.D)
	b.SetBytes(int64(len(data.X)) * 4)
	b.ResetTimer()
	for range b.N {
		e.lossGrad(w, 0.1, g)
	}
}

// BenchmarkMemorySum reads the same matrix once per op, summing it in 4
// float32 lanes on every core: about as fast as memory allows from plain
// Go, the floor a pass could reach.
func BenchmarkMemorySum(b *testing.B) {
	data := benchData()
	b.SetBytes(int64(len(data.X)) * 4)
	e := newEvaluator(data, [2]float64{1, 1}, runtime.GOMAXPROCS(0))
	sums := make([]float32, e.chunks)
	b.ResetTimer()
	for range b.N {
		e.parallel(func(c int) {
			lo, hi := c*chunkRows*benchD, min(len(data.X), (c+1)*chunkRows*benchD)
			var s0, s1, s2, s3 float32
			x := data.X[lo:hi]
			for j := 0; j+4 <= len(x); j += 4 {
				s0 += x[j]
				s1 += x[j+1]
				s2 += x[j+2]
				s3 += x[j+3]
			}
			sums[c] = s0 + s1 + s2 + s3
		})
	}
}

// BenchmarkMemoryCopy copies the matrix, row by row, into a one-row buffer
// on every core: memmove's vector loads make it the read-bandwidth floor.
func BenchmarkMemoryCopy(b *testing.B) {
	data := benchData()
	b.SetBytes(int64(len(data.X)) * 4)
	e := newEvaluator(data, [2]float64{1, 1}, runtime.GOMAXPROCS(0))
	bufs := make([][]float32, e.chunks)
	for c := range bufs {
		bufs[c] = make([]float32, benchD)
	}
	b.ResetTimer()
	for range b.N {
		e.parallel(func(c int) {
			for i := c * chunkRows; i < min(benchN, (c+1)*chunkRows); i++ {
				copy(bufs[c], data.X[i*benchD:(i+1)*benchD])
			}
		})
	}
}
