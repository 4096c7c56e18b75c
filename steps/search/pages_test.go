package search

import (
	"context"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"unsafe"

	"github.com/pipe-ml/pipe/steps/shared/logreg"
)

// drops records the parts of x dropped, as [start, end) indices into x.
type drops struct {
	x    []float32
	mu   sync.Mutex
	list [][2]int
}

func (r *drops) drop(part []float32) {
	start := int((uintptr(unsafe.Pointer(unsafe.SliceData(part))) - uintptr(unsafe.Pointer(unsafe.SliceData(r.x)))) / 4)
	r.mu.Lock()
	r.list = append(r.list, [2]int{start, start + len(part)})
	r.mu.Unlock()
}

// take returns the drops so far, sorted, and forgets them.
func (r *drops) take() [][2]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.list
	r.list = nil
	slices.SortFunc(l, func(a, b [2]int) int { return a[0] - b[0] })
	return l
}

// aligned reports whether element i of x starts a regionBytes-aligned
// span of memory.
func aligned(x []float32, i int) bool {
	return (uintptr(unsafe.Pointer(unsafe.SliceData(x)))+uintptr(i)*4)%regionBytes == 0
}

// TestPagesPass reports three passes over a matrix of several regions,
// block by block in a shuffled order from two goroutines, as a
// logreg.Batch's sweeps do: each pass drops every region of the second
// half exactly once, the drops tile that half, and every boundary is
// aligned.
func TestPagesPass(t *testing.T) {
	const n, d, block = 9000, 700, 256 // 25 MB: four regions or so
	x := make([]float32, n*d)
	rec := &drops{x: x}
	pg := newPages(x, n, d, rec.drop)
	if len(pg.regions) < 3 || pg.keep < 1 {
		t.Fatalf("%d regions in %d MB, the first %d kept", len(pg.regions), len(x)*4>>20, pg.keep)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for pass := range 3 {
		order := rng.Perm((n + block - 1) / block)
		var wg sync.WaitGroup
		var next sync.Mutex
		for range 2 {
			wg.Go(func() {
				for {
					next.Lock()
					if len(order) == 0 {
						next.Unlock()
						return
					}
					b := order[0]
					order = order[1:]
					next.Unlock()
					pg.passRead(b*block, min((b+1)*block, n))
				}
			})
		}
		wg.Wait()
		got := rec.take()
		if len(got) != len(pg.regions)-pg.keep {
			t.Fatalf("pass %d: %d drops, want one per region after the first %d of %d", pass, len(got), pg.keep, len(pg.regions))
		}
		at := pg.regions[pg.keep].start
		for _, g := range got {
			if g[0] != at {
				t.Fatalf("pass %d: drops %v do not tile the matrix's values from %d to %d", pass, got, at, len(x))
			}
			if !aligned(x, g[0]) {
				t.Errorf("pass %d: a drop starts at value %d, not at an aligned address", pass, g[0])
			}
			at = g[1]
		}
		if at != len(x) {
			t.Fatalf("pass %d: the drops end at %d of %d values", pass, at, len(x))
		}
	}
}

// TestPagesReaders covers the two readers that go up the rows: a fit's
// sample (sampleRead) and its scoring (cursor). Each drops the regions
// it has left, never the one it reads next nor one of the first half,
// and all the others by its end.
func TestPagesReaders(t *testing.T) {
	const n, d = 9000, 700
	x := make([]float32, n*d)
	rec := &drops{x: x}
	pg := newPages(x, n, d, rec.drop)
	last := len(pg.regions) - 1
	// Rows spread over the matrix, three per region and more.
	var rows []int
	for r := range pg.regions {
		lo, hi := pg.regions[r].row, n
		if r < last {
			hi = pg.regions[r+1].row
		}
		rows = append(rows, lo, (lo+hi)/2, hi-1)
	}

	c := cursor{pg: pg}
	for _, i := range rows {
		c.at(i)
		for _, g := range rec.take() {
			if g[1] > pg.regions[pg.regionOf(i)].start || g[0] < pg.regions[pg.keep].start {
				t.Fatalf("at row %d (region %d), the cursor dropped values [%d, %d): the region read now, or one kept", i, pg.regionOf(i), g[0], g[1])
			}
		}
	}
	c.done()
	if got := rec.take(); len(got) != 1 || got[0] != [2]int{pg.regions[last].start, len(x)} {
		t.Errorf("done dropped %v, want the last region [%d, %d)", got, pg.regions[last].start, len(x))
	}

	prev := rows[0]
	var dropped [][2]int
	for _, i := range append(rows[1:], n) {
		pg.sampleRead(prev, i)
		for _, g := range rec.take() {
			if i < n && g[1] > pg.regions[pg.regionOf(i)].start {
				t.Fatalf("sample at row %d dropped values [%d, %d): the region it reads next", i, g[0], g[1])
			}
			dropped = append(dropped, g)
		}
		prev = i
	}
	if len(dropped) == 0 || dropped[0][0] != pg.regions[pg.keep].start || dropped[len(dropped)-1][1] != len(x) {
		t.Errorf("the sample dropped %v, want the values from %d to %d by its end", dropped, pg.regions[pg.keep].start, len(x))
	}
}

// TestCrossValidateDropPages runs a cross-validation whose DropPages
// records what it drops: the result is the same as without, and every
// row of the matrix's second half was dropped (behind the sweeps, the
// samples and the scoring) more than once, none of the first.
func TestCrossValidateDropPages(t *testing.T) {
	cands := []logreg.Params{params(logreg.L2, 0.1, logreg.Unweighted), params(logreg.L2, 1, logreg.Unweighted),
		params(logreg.L1, 1, logreg.Balanced)}
	p := smallProblem(t, 4000, 640, cands, F1) // 10 MB: two regions or three
	want, err := CrossValidate(context.Background(), p, &Settings{Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	rec := &drops{x: p.Data.X}
	got, err := CrossValidate(context.Background(), p, &Settings{Parallelism: 2, DropPages: rec.drop})
	if err != nil {
		t.Fatal(err)
	}
	for i := range got.Trials {
		for f := range got.Trials[i].Folds {
			got.Trials[i].Folds[f].Duration, want.Trials[i].Folds[f].Duration = 0, 0
		}
	}
	got.Duration, want.Duration = 0, 0
	if !reflect.DeepEqual(got, want) {
		t.Errorf("with DropPages the result differs:\n%+v\nwithout:\n%+v", got, want)
	}
	kept := newPages(p.Data.X, p.Data.N, p.Data.D, rec.drop)
	kept = &pages{regions: kept.regions[:kept.keep+1]} // its last region is the first dropped
	times := make([]int, len(p.Data.X)/p.Data.D+1)
	for _, g := range rec.take() {
		if g[0] < 0 || g[1] > len(p.Data.X) || g[0] >= g[1] {
			t.Fatalf("dropped values [%d, %d) of %d", g[0], g[1], len(p.Data.X))
		}
		for i := g[0] / p.Data.D; i < g[1]/p.Data.D; i++ {
			times[i]++
		}
	}
	first := kept.regions[len(kept.regions)-1]
	for i, k := range times[:len(times)-1] {
		switch {
		case (i+1)*p.Data.D <= first.start && k > 0:
			t.Fatalf("row %d, of the half kept, was dropped %d times", i, k)
		case i >= first.row && k < 2:
			t.Fatalf("row %d was dropped %d times", i, k)
		}
	}
}
