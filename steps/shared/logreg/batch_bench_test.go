package logreg

import (
	"runtime"
	"sync"
	"testing"
)

// BenchmarkBatchSweep measures one sweep that serves eight fits, each on
// the four fifths of the benchmark matrix that make a fold's training
// rows (two per fold of four, as in a 5-fold search with two candidates
// per fold in flight); b.SetBytes counts the matrix once per sweep, to
// compare with BenchmarkPass (one fit on every row).
func BenchmarkBatchSweep(b *testing.B) {
	data := benchData()
	batch, err := NewBatch(data, runtime.GOMAXPROCS(0))
	if err != nil {
		b.Fatal(err)
	}
	var evals []*evaluator
	for f := range 4 {
		var rows []int32
		for i := range data.N {
			if i%5 != f {
				rows = append(rows, int32(i))
			}
		}
		fold, err := data.Subset(rows)
		if err != nil {
			b.Fatal(err)
		}
		for range 2 {
			e := newEvaluator(fold, [2]float64{1, 1}, 1)
			e.batch = batch
			evals = append(evals, e)
		}
	}
	w := make([]float64, data.D)
	for j := range w {
		w[j] = float64(j%7-3) * 0.1
	}
	b.SetBytes(int64(len(data.X)) * 4)
	for b.Loop() {
		var wg sync.WaitGroup
		for range evals {
			batch.join()
		}
		for _, e := range evals {
			wg.Go(func() {
				g := make([]float64, data.D)
				e.lossGrad(w, 0.1, g)
				batch.leave()
			})
		}
		wg.Wait()
	}
}
