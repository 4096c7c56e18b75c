package logreg

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
)

// TestBatchOnRead runs two fits, on two halves of the rows, in a batch
// whose OnRead counts the reads of each row: every sweep reports every
// row of the matrix exactly once, and the fits give the bits they give
// alone.
func TestBatchOnRead(t *testing.T) {
	data := propertyData(t)
	batch, err := NewBatch(data, 3)
	if err != nil {
		t.Fatal(err)
	}
	reads := make([]atomic.Int32, data.N)
	var spans atomic.Int32
	batch.OnRead(func(lo, hi int) {
		if lo < 0 || hi > data.N || lo >= hi {
			t.Errorf("OnRead(%d, %d) with %d rows", lo, hi, data.N)
			return
		}
		spans.Add(1)
		for i := lo; i < hi; i++ {
			reads[i].Add(1)
		}
	})
	var halves [2]*Data
	for h := range halves {
		var rows []int32
		for i := range data.N {
			if i%2 == h {
				rows = append(rows, int32(i))
			}
		}
		if halves[h], err = data.Subset(rows); err != nil {
			t.Fatal(err)
		}
	}
	params := DefaultParams()
	var got [2]*Result
	var wg sync.WaitGroup
	for h, half := range halves {
		wg.Go(func() {
			res, err := Fit(context.Background(), half, params, &Settings{Batch: batch})
			if err != nil {
				t.Errorf("half %d: %v", h, err)
			}
			got[h] = res
		})
	}
	wg.Wait()
	sweeps := reads[0].Load()
	if sweeps == 0 || spans.Load() == 0 {
		t.Fatal("OnRead was never called")
	}
	for i := range reads {
		if n := reads[i].Load(); n != sweeps {
			t.Fatalf("row %d reported %d times, row 0 %d times: every sweep must report every row once", i, n, sweeps)
		}
	}
	for h, half := range halves {
		if want := mustFit(t, half, params, nil); got[h] != nil && !sameBits(got[h], want) {
			t.Errorf("half %d: objective %.17g with OnRead, %.17g alone", h, got[h].Objective, want.Objective)
		}
	}
}
