package logreg

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

// TestBatchSameBits fits several candidates on several folds at once,
// their passes shared through a Batch, and checks that every fit gives
// the same bits as on its own: whoever shares a sweep, each chunk of a
// fit is summed by one goroutine, in order.
func TestBatchSameBits(t *testing.T) {
	data := propertyData(t)
	folds := make([]*Data, 3)
	for f := range folds {
		var rows []int32
		for i := range data.N {
			if i%3 != f {
				rows = append(rows, int32(i))
			}
		}
		var err error
		if folds[f], err = data.Subset(rows); err != nil {
			t.Fatal(err)
		}
	}
	type job struct {
		name   string
		data   *Data
		params Params
	}
	var jobs []job
	for name, params := range propertyParams {
		for f, fold := range folds {
			jobs = append(jobs, job{fmt.Sprintf("%s/fold %d", name, f), fold, params})
		}
		jobs = append(jobs, job{name + "/all rows", data, params})
	}
	for _, par := range []int{1, 3} {
		batch, err := NewBatch(data, par)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]*Result, len(jobs))
		var wg sync.WaitGroup
		for k, j := range jobs {
			wg.Go(func() {
				res, err := Fit(context.Background(), j.data, j.params, &Settings{Parallelism: 2, Batch: batch})
				if err != nil {
					t.Errorf("%s: %v", j.name, err)
					return
				}
				got[k] = res
			})
		}
		wg.Wait()
		for k, j := range jobs {
			want := mustFit(t, j.data, j.params, &Settings{Parallelism: 1})
			if got[k] != nil && !sameBits(got[k], want) {
				t.Errorf("parallelism %d: %s: batched objective %.17g after %d iterations, alone %.17g after %d",
					par, j.name, got[k].Objective, got[k].Iterations, want.Objective, want.Iterations)
			}
		}
		if batch.members != 0 || len(batch.waiting) != 0 {
			t.Errorf("after the fits: %d members, %d waiting", batch.members, len(batch.waiting))
		}
	}
}

// TestBatchCancel cancels one of the fits in a batch: it returns the
// context's error and the others, which waited for its passes, finish
// as they would have alone.
func TestBatchCancel(t *testing.T) {
	data := propertyData(t)
	batch, err := NewBatch(data, 2)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	params := DefaultParams()
	var wg sync.WaitGroup
	var cancelled error
	wg.Go(func() {
		s := &Settings{Batch: batch, Progress: func(p Progress) {
			if p.Iteration == 3 {
				cancel()
			}
		}}
		_, cancelled = Fit(ctx, data, params, s)
	})
	results := make([]*Result, 3)
	for k := range results {
		wg.Go(func() {
			p := params
			p.C = float64(k + 1)
			res, err := Fit(context.Background(), data, p, &Settings{Batch: batch})
			if err != nil {
				t.Errorf("fit %d: %v", k, err)
			}
			results[k] = res
		})
	}
	wg.Wait()
	if !errors.Is(cancelled, context.Canceled) {
		t.Errorf("cancelled fit: error %v, want context.Canceled", cancelled)
	}
	for k, res := range results {
		p := params
		p.C = float64(k + 1)
		if want := mustFit(t, data, p, nil); res != nil && !sameBits(res, want) {
			t.Errorf("fit %d: objective %.17g, alone %.17g", k, res.Objective, want.Objective)
		}
	}
}

// TestBatchOtherMatrix refuses a fit whose features are not the batch's.
func TestBatchOtherMatrix(t *testing.T) {
	data := propertyData(t)
	other := *data
	other.X = append([]float32(nil), data.X...)
	batch, err := NewBatch(data, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Fit(context.Background(), &other, DefaultParams(), &Settings{Batch: batch}); err == nil {
		t.Fatal("a fit on another matrix was accepted")
	}
}

// TestChunkPairSameBits sweeps the chunks of two evaluators on the same
// rows together and checks each gets the bits it gets alone: one with
// class weights, the other with sample weights, on a set of rows whose
// last chunk is not a whole number of four-row groups.
func TestChunkPairSameBits(t *testing.T) {
	data := synthData(synth.Config{N: 1500, Dim: 37, Seed: 5})
	data.Weight = make([]float64, data.N)
	for i := range data.Weight {
		data.Weight[i] = 0.5 + float64(i%7)/4
	}
	var rows []int32
	for i := range data.N {
		if i%5 != 2 {
			rows = append(rows, int32(i))
		}
	}
	rows = rows[:len(rows)-3] // 1197 rows: the last chunk ends with one row
	fold, err := data.Subset(rows)
	if err != nil {
		t.Fatal(err)
	}
	unweighted := *fold
	unweighted.Weight = nil
	w := func(seed float64) []float64 {
		w := make([]float64, data.D)
		for j := range w {
			w[j] = math.Sin(seed*float64(j+1)) * 0.3
		}
		return w
	}
	newPair := func() (a, b *evaluator) {
		a = newEvaluator(&unweighted, [2]float64{0.7, 2.1}, 1)
		b = newEvaluator(fold, [2]float64{1, 1}, 1)
		a.fold(w(1), 0.2)
		b.fold(w(2), -0.4)
		return a, b
	}
	alone, alone2 := newPair()
	paired, paired2 := newPair()
	if !sameRows(paired, paired2) {
		t.Fatal("evaluators on the same rows: sameRows is false")
	}
	for c := range alone.chunks {
		alone.lossGradChunk(c, 0.2)
		alone2.lossGradChunk(c, -0.4)
		lossGradChunkPair(c, paired, 0.2, paired2, -0.4)
	}
	for _, e := range [][2]*evaluator{{alone, paired}, {alone2, paired2}} {
		want, got := e[0], e[1]
		for _, part := range [][2][]float64{{want.partGrad, got.partGrad}, {want.partLoss, got.partLoss}, {want.partResid, got.partResid}} {
			for k := range part[0] {
				if math.Float64bits(part[0][k]) != math.Float64bits(part[1][k]) {
					t.Fatalf("partial sum %d: %v paired, %v alone", k, part[1][k], part[0][k])
				}
			}
		}
	}
	other := newEvaluator(data, [2]float64{1, 1}, 1)
	if sameRows(paired, other) {
		t.Error("a fold and all rows: sameRows is true")
	}
}
