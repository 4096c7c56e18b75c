package logreg

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

// The benchmarks run on the shape of the privacy-intent data: 100k unit-norm
// rows of 584 float32 features, about 30% positive (steps/shared/dataset/synth's
// defaults).
const benchN, benchD = 100_000, 584

var benchData = sync.OnceValue(func() *Data {
	return synthData(synth.Config{N: benchN, Dim: benchD, Seed: 1})
})

// synthData generates embedding-like rows with steps/shared/dataset/synth.
func synthData(cfg synth.Config) *Data {
	g := synth.Generate(cfg)
	return &Data{X: g.X, N: g.N, D: g.Dim, Y: g.LabelsFloat64()}
}

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

func benchmarkFit(b *testing.B, params Params, s *Settings) {
	data := benchData()
	var res *Result
	for b.Loop() {
		var err error
		res, err = Fit(context.Background(), data, params, s)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(res.Evaluations), "passes")
	b.ReportMetric(res.Objective, "objective")
}

// BenchmarkFitL2 is the l2 fit of the side-by-side: scikit-learn's lbfgs
// takes about 3.1 s here (MACHINE.md).
func BenchmarkFitL2(b *testing.B) { benchmarkFit(b, DefaultParams(), nil) }

// BenchmarkFitL2Preconditioned is the l2 fit of the train step
// (Settings.Precondition).
func BenchmarkFitL2Preconditioned(b *testing.B) {
	benchmarkFit(b, DefaultParams(), &Settings{Precondition: true})
}

// BenchmarkFitL1 is the l1 fit of the side-by-side: scikit-learn's saga
// takes about 21 s here.
func BenchmarkFitL1(b *testing.B) {
	p := DefaultParams()
	p.Penalty = L1
	benchmarkFit(b, p, nil)
}

func BenchmarkFitElasticNet(b *testing.B) {
	p := DefaultParams()
	p.Penalty, p.L1Ratio = ElasticNet, 0.5
	benchmarkFit(b, p, nil)
}
