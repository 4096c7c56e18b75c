package logreg

// OnRead sets f, which every sweep of the batch from then on calls with
// each span of rows [lo, hi) of the matrix as soon as it has read those
// rows for every fit in the sweep, from the goroutine that read them. The
// spans of one sweep cover every row of the matrix once, come in roughly
// increasing order but not strictly (the sweep's goroutines take them in
// turn), and calls may run at once. A caller whose matrix is a memory map
// can drop the pages of the rows a sweep is done with (steps/search
// does), so that they do not stay in the process's resident memory until
// the next sweep reads them again. f must not block, and must not change
// the matrix; it changes no result. Set it before any fit joins the
// batch.
func (b *Batch) OnRead(f func(lo, hi int)) { b.onRead = f }

// OnSample sets f, which a fit in the batch calls from its own
// goroutine as it reads, outside any sweep, a sample of rows spread over
// the whole matrix in increasing order (the rows that set the L-BFGS
// solver's intercept scale, at the start of every fit with an
// intercept): with consecutive spans of rows [lo, hi) it has moved past,
// hi being the row it reads next, the last span ending at the matrix's
// end. Such a sample reads little of each page but every page: a caller
// that drops the pages behind the sweeps (OnRead) drops them behind the
// sample too, or the whole matrix stands resident at once. The same
// rules as OnRead's apply.
func (b *Batch) OnSample(f func(lo, hi int)) { b.onSample = f }

// sampleSpan is how many sampled rows a span reported to OnSample holds.
const sampleSpan = 64

// doneReading tells the OnRead function, if any, that the sweep has read
// block blk.
func (b *Batch) doneReading(blk int) {
	if b.onRead != nil {
		b.onRead(blk*chunkRows, min((blk+1)*chunkRows, len(b.x)/b.d))
	}
}

// sampled tells the OnSample function of e's batch, if any, that e's
// sample has moved past rows [lo, hi).
func (e *evaluator) sampled(lo, hi int) {
	if e.batch != nil && e.batch.onSample != nil && lo < hi {
		e.batch.onSample(lo, hi)
	}
}
