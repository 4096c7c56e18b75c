package logreg

import (
	"errors"
	"slices"
	"sync"
	"unsafe"

	"github.com/pipe-ml/pipe/steps/shared/fault"
)

// A Batch shares passes over one feature matrix between the fits that run
// at once on sets of its rows, such as the folds and candidates of a
// cross-validation.
//
// A pass of one fit is bound by reading the matrix from memory: the
// margins and gradient of a row cost far less than bringing the row in.
// Fits that join a Batch (through [Settings.Batch]) hand their passes to
// it instead of running them; once every fit in the batch is waiting for
// one, a single sweep over the matrix computes all of them, each row read
// from memory once for every fit whose set holds it. A fit's pass is
// computed chunk by chunk exactly as on its own (each of its 256-row
// chunks summed in order by one goroutine, the chunk sums added in chunk
// order), so its result is the same bits whichever fits share its passes,
// and the same as without a Batch. Two fits on the same rows (two
// candidates on one fold) are swept together, each row converted once for
// both.
//
// A Batch is safe for concurrent use by the fits that join it. While a
// sweep runs, the fits in it wait; the fit that completed the batch runs
// the sweep on Parallelism goroutines. A fit busy with work that needs no
// pass (the Newton solver's Hessian sample) steps out of the batch
// meanwhile, so that the others' sweeps do not wait for it.
type Batch struct {
	x       []float32
	d       int
	blocks  int // blocks of chunkRows rows of X
	workers int
	// onRead and onSample are OnRead's and OnSample's functions.
	onRead   func(lo, hi int)
	onSample func(lo, hi int)

	mu      sync.Mutex
	members int             // fits in the batch
	waiting []*batchRequest // passes asked for since the last sweep
	// failed is what a sweep panicked with (a fault on a memory-mapped
	// X: see steps/shared/fault). Every pass of every fit in the batch
	// panics with it from then on, so that no fit waits for a sweep
	// that will never come.
	failed any
}

// batchRequest is one fit's pass, waiting for a sweep.
type batchRequest struct {
	e    *evaluator
	bEff float64
	done chan struct{}
}

// NewBatch returns a Batch for fits on sets of data's rows. Parallelism
// is the number of goroutines a sweep uses; 0 means runtime.GOMAXPROCS(0).
func NewBatch(data *Data, parallelism int) (*Batch, error) {
	if data == nil {
		return nil, errors.New("logreg: no data for the batch")
	}
	if err := data.checkShape(); err != nil {
		return nil, err
	}
	return &Batch{
		x:       data.X,
		d:       data.D,
		blocks:  (data.N + chunkRows - 1) / chunkRows,
		workers: workersOr(parallelism),
	}, nil
}

// holds reports whether data's features are the batch's matrix.
func (b *Batch) holds(data *Data) bool {
	return data.D == b.d && len(data.X) == len(b.x) &&
		(len(b.x) == 0 || unsafe.SliceData(data.X) == unsafe.SliceData(b.x))
}

// join adds a fit to the batch: sweeps wait for its passes from now on.
func (b *Batch) join() {
	b.mu.Lock()
	b.members++
	b.mu.Unlock()
}

// leave removes a fit from the batch; if the fits left are all waiting,
// it runs their sweep.
func (b *Batch) leave() {
	b.mu.Lock()
	b.members--
	var reqs []*batchRequest
	if b.failed == nil {
		reqs = b.takeIfComplete()
	}
	b.mu.Unlock()
	if reqs != nil {
		b.sweep(reqs, nil)
	}
}

// pass computes e's chunk sums for the folded intercept bEff (e.wEff
// holds the folded coefficients), sharing a sweep with the other fits.
func (b *Batch) pass(e *evaluator, bEff float64) {
	req := &batchRequest{e: e, bEff: bEff, done: make(chan struct{})}
	b.mu.Lock()
	if p := b.failed; p != nil {
		b.mu.Unlock()
		panic(p)
	}
	b.waiting = append(b.waiting, req)
	reqs := b.takeIfComplete()
	b.mu.Unlock()
	if reqs == nil {
		<-req.done
		b.mu.Lock()
		p := b.failed
		b.mu.Unlock()
		if p != nil {
			panic(p)
		}
		return
	}
	b.sweep(reqs, req)
}

// takeIfComplete returns the waiting requests and empties the queue when
// every member is waiting; the caller holds b.mu.
func (b *Batch) takeIfComplete() []*batchRequest {
	if len(b.waiting) == 0 || len(b.waiting) < b.members {
		return nil
	}
	reqs := b.waiting
	b.waiting = nil
	return reqs
}

// sweep runs the passes of reqs in one sweep over the matrix and wakes
// every request but own, whose goroutine is the caller.
func (b *Batch) sweep(reqs []*batchRequest, own *batchRequest) {
	defer func() {
		if p := recover(); p != nil {
			if fe := fault.From(p); fe != nil {
				p = fe
			}
			b.fail(p, reqs, own)
			panic(p)
		}
	}()
	for _, r := range reqs {
		r.e.chunkBlocks(b.blocks)
	}
	units := pairUp(reqs)
	parallelFor(b.workers, b.blocks, func(blk int) {
		for _, u := range units {
			a := u[0].e
			for c := a.blockChunk[blk]; c < a.blockChunk[blk+1]; c++ {
				if u[1] == nil {
					a.lossGradChunk(int(c), u[0].bEff)
				} else {
					lossGradChunkPair(int(c), a, u[0].bEff, u[1].e, u[1].bEff)
				}
			}
		}
		b.doneReading(blk)
	})
	for _, r := range reqs {
		if r != own {
			close(r.done)
		}
	}
}

// fail records that a sweep of reqs panicked with p and wakes every fit
// waiting for a pass, which then panics with p too.
func (b *Batch) fail(p any, reqs []*batchRequest, own *batchRequest) {
	b.mu.Lock()
	b.failed = p
	waiting := b.waiting
	b.waiting = nil
	b.mu.Unlock()
	for _, r := range append(reqs, waiting...) {
		if r != own {
			close(r.done)
		}
	}
}

// pairUp groups the requests of a sweep into units of one, or of two
// whose fits run on the same rows: a pair's chunks are swept together
// (lossGradChunkPair), each row converted once for both.
func pairUp(reqs []*batchRequest) [][2]*batchRequest {
	units := make([][2]*batchRequest, 0, len(reqs))
	taken := make([]bool, len(reqs))
	for i, r := range reqs {
		if taken[i] {
			continue
		}
		u := [2]*batchRequest{r, nil}
		for j := i + 1; j < len(reqs); j++ {
			if !taken[j] && sameRows(r.e, reqs[j].e) {
				u[1], taken[j] = reqs[j], true
				break
			}
		}
		units = append(units, u)
	}
	return units
}

// sameRows reports whether a and b run on the same rows of the batch's
// matrix.
func sameRows(a, b *evaluator) bool {
	if a.n != b.n || (a.rows == nil) != (b.rows == nil) {
		return false
	}
	if a.rows == nil || unsafe.SliceData(a.rows) == unsafe.SliceData(b.rows) {
		return true
	}
	return a.rows[0] == b.rows[0] && a.rows[a.n-1] == b.rows[b.n-1] && slices.Equal(a.rows, b.rows)
}

// away tells e's batch, if any, that the fit will ask for no pass until
// back: sweeps go on without it meanwhile.
func (e *evaluator) away() {
	if e.batch != nil {
		e.batch.leave()
	}
}

// back ends away.
func (e *evaluator) back() {
	if e.batch != nil {
		e.batch.join()
	}
}

// chunkBlocks sets e.blockChunk, once: the chunks of e whose first row
// lies in block blk of X (rows blk·chunkRows up to the next block) are
// blockChunk[blk] up to blockChunk[blk+1]. A chunk is swept with the
// block where it starts, so each is summed by one goroutine, in order.
func (e *evaluator) chunkBlocks(blocks int) {
	if e.blockChunk != nil {
		return
	}
	bc := make([]int32, blocks+1)
	c := 0
	for blk := range blocks {
		bc[blk] = int32(c)
		for c < e.chunks && e.row(c*chunkRows) < (blk+1)*chunkRows {
			c++
		}
	}
	bc[blocks] = int32(e.chunks)
	e.blockChunk = bc
}
