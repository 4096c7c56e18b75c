package logreg

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"
)

// chunkRows is the number of rows in one chunk of a pass over the data.
// Chunks are the unit of parallel work: each is summed on its own, from
// zero, and the chunk sums are added in chunk order, so a pass gives the
// same bits whatever the number of goroutines. Changing it changes
// results in the last bits.
const chunkRows = 256

// evaluator computes the data term of the objective,
//
//	L(w, b) = Σᵢ sᵢ·ℓ(yᵢ, zᵢ),   zᵢ = w·x̃ᵢ + b,
//
// and its gradient (∂L/∂w, ∂L/∂b) = (Σᵢ rᵢ·x̃ᵢ, Σᵢ rᵢ) with
// rᵢ = sᵢ·(σ(zᵢ) − yᵢ), in one pass over the rows. x̃ᵢ is xᵢ, or with
// standardisation (xᵢ − μ)/σ, which is never formed: the pass runs on the
// raw rows with the folded coefficients w/σ and intercept b − (w/σ)·μ,
// and the gradient is unfolded afterwards.
type evaluator struct {
	x    []float32
	d    int
	y    []float64
	sw   []float64 // sample weights, or nil
	rows []int32   // sorted row indices, or nil for all
	n    int       // number of rows in the set
	cw   [2]float64
	mean []float64 // standardisation, or nil
	std  []float64

	workers int
	// batch, when not nil, runs the passes (see [Batch]); blockChunk is
	// set by it.
	batch      *Batch
	blockChunk []int32

	// Per-chunk partial sums and the folded coefficients, reused by every
	// pass.
	chunks    int
	partGrad  []float64 // chunks × d
	partLoss  []float64
	partResid []float64
	wEff      []float64
}

func newEvaluator(data *Data, cw [2]float64, workers int) *evaluator {
	e := &evaluator{
		x:       data.X,
		d:       data.D,
		y:       data.Y,
		sw:      data.Weight,
		n:       data.Len(),
		cw:      cw,
		workers: max(1, workers),
	}
	if data.Rows != nil {
		e.rows = data.Rows
		if !slices.IsSorted(e.rows) {
			e.rows = slices.Clone(e.rows)
			slices.Sort(e.rows)
		}
	}
	e.chunks = (e.n + chunkRows - 1) / chunkRows
	e.partGrad = make([]float64, e.chunks*e.d)
	e.partLoss = make([]float64, e.chunks)
	e.partResid = make([]float64, e.chunks)
	e.wEff = make([]float64, e.d)
	return e
}

// row returns the index in X of the p-th row of the set.
func (e *evaluator) row(p int) int {
	if e.rows != nil {
		return int(e.rows[p])
	}
	return p
}

// lossGrad returns L(w, b) and stores ∂L/∂w in gw, returning ∂L/∂b too.
func (e *evaluator) lossGrad(w []float64, b float64, gw []float64) (loss, gb float64) {
	_, bEff := e.fold(w, b)
	if e.batch != nil {
		e.batch.pass(e, bEff)
	} else {
		e.parallel(func(c int) { e.lossGradChunk(c, bEff) })
	}

	clear(gw)
	for c := range e.chunks {
		loss += e.partLoss[c]
		gb += e.partResid[c]
		for j, v := range e.partGrad[c*e.d : (c+1)*e.d] {
			gw[j] += v
		}
	}
	if e.mean != nil {
		for j := range gw {
			gw[j] = (gw[j] - e.mean[j]*gb) / e.std[j]
		}
	}
	return loss, gb
}

// fold sets e.wEff to the coefficients that apply to raw features, w/σ
// with standardisation, and returns it with the matching intercept
// b − (w/σ)·μ.
func (e *evaluator) fold(w []float64, b float64) ([]float64, float64) {
	if e.mean == nil {
		copy(e.wEff, w)
		return e.wEff, b
	}
	for j := range w {
		e.wEff[j] = w[j] / e.std[j]
	}
	return e.wEff, b - floatsDot(e.wEff, e.mean)
}

// lossGradChunk sums chunk c of the rows into the chunk's partial sums:
// for each row, its margin (dot), loss and residual, and the residual
// times the row added to the chunk's gradient (axpy). The two are
// software-pipelined: one sweep (dotAxpy) takes the margin of the next row
// while it adds the previous row, still in the L1 cache, to the gradient,
// so that work overlaps the wait for the next row from memory. The bits
// are those of dot and axpy one row at a time.
func (e *evaluator) lossGradChunk(c int, bEff float64) {
	lo, hi := c*chunkRows, min(e.n, (c+1)*chunkRows)
	d := e.d
	g := e.partGrad[c*d : (c+1)*d]
	clear(g)
	rowX := func(p int) (int, []float32) {
		i := e.row(p)
		return i, e.x[i*d : (i+1)*d : (i+1)*d]
	}
	loss, resid := 0.0, 0.0
	i, xi := rowX(lo)
	z := dot(xi, e.wEff) + bEff
	for p := lo; p < hi; p++ {
		l, r := e.rowLoss(i, z)
		loss += l
		resid += r
		if p+1 == hi {
			axpy(r, xi, g)
			break
		}
		next, xn := rowX(p + 1)
		z = dotAxpy(xn, e.wEff, r, xi, g) + bEff
		i, xi = next, xn
	}
	e.partLoss[c] = loss
	e.partResid[c] = resid
}

// rowLoss returns sᵢ·ℓ(yᵢ, z) and rᵢ = sᵢ·(σ(z) − yᵢ) for row i with
// margin z.
func (e *evaluator) rowLoss(i int, z float64) (loss, resid float64) {
	y := e.y[i]
	s := e.cw[int(y)]
	if e.sw != nil {
		s *= e.sw[i]
	}
	l, dl := logLoss(z, y)
	return s * l, s * dl
}

// logLoss returns ℓ(y, z) = log(1 + eᶻ) − y·z and its derivative
// σ(z) − y, for y ∈ {0, 1}, without overflow or cancellation: with t the
// margin of the other class (z for y = 0, −z for y = 1), ℓ = log(1 + eᵗ)
// and the derivative is ±σ(t).
func logLoss(z, y float64) (loss, deriv float64) {
	t := z
	if y != 0 {
		t = -z
	}
	e := math.Exp(-math.Abs(t))
	var sig float64
	if t >= 0 {
		loss = t + math.Log1p(e)
		sig = 1 / (1 + e)
	} else {
		loss = math.Log1p(e)
		sig = e / (1 + e)
	}
	if y != 0 {
		return loss, -sig
	}
	return loss, sig
}

// parallel runs f for every chunk on up to e.workers goroutines.
func (e *evaluator) parallel(f func(c int)) {
	parallelFor(e.workers, e.chunks, f)
}

// parallelFor runs f(0), ..., f(count−1) on up to workers goroutines, in
// no particular order: each f must write only its own outputs.
func parallelFor(workers, count int, f func(i int)) {
	parallelWorkers(workers, count, func(_, i int) { f(i) })
}

// parallelWorkers is parallelFor that also tells f which of the
// goroutines (0 ≤ worker < workers) runs it, for per-goroutine scratch.
func parallelWorkers(workers, count int, f func(worker, i int)) {
	workers = min(workers, count)
	if workers <= 1 {
		for i := range count {
			f(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= count {
					return
				}
				f(w, i)
			}
		})
	}
	wg.Wait()
}

// standardize computes the mean and standard deviation of every feature
// over the rows of the set, in two passes (mean, then squared deviations),
// and makes later passes use the standardised features. A feature whose
// variance is indistinguishable from zero (by scikit-learn's test) gets
// scale 1.
func (e *evaluator) standardize() (mean, std []float64) {
	d := e.d
	e.parallel(func(c int) {
		g := e.partGrad[c*d : (c+1)*d]
		clear(g)
		for p := c * chunkRows; p < min(e.n, (c+1)*chunkRows); p++ {
			i := e.row(p)
			axpy(1, e.x[i*d:(i+1)*d], g)
		}
	})
	n := float64(e.n)
	mean = e.sumChunks()
	for j := range mean {
		mean[j] /= n
	}
	e.parallel(func(c int) {
		g := e.partGrad[c*d : (c+1)*d]
		clear(g)
		for p := c * chunkRows; p < min(e.n, (c+1)*chunkRows); p++ {
			i := e.row(p)
			for j, v := range e.x[i*d : (i+1)*d] {
				dev := float64(v) - mean[j]
				g[j] = math.FMA(dev, dev, g[j])
			}
		}
	})
	std = e.sumChunks()
	const eps = 0x1p-52
	for j, ss := range std {
		v := ss / n
		bound := n*eps*v + (n*mean[j]*eps)*(n*mean[j]*eps)
		if v <= bound {
			std[j] = 1
		} else {
			std[j] = math.Sqrt(v)
		}
	}
	e.mean, e.std = mean, std
	return mean, std
}

// sumChunks adds the per-chunk partial gradients in chunk order into a new
// slice.
func (e *evaluator) sumChunks() []float64 {
	out := make([]float64, e.d)
	for c := range e.chunks {
		for j, v := range e.partGrad[c*e.d : (c+1)*e.d] {
			out[j] += v
		}
	}
	return out
}

// floatsDot is Σ aⱼ·bⱼ in order; small vectors only.
func floatsDot(a, b []float64) float64 {
	s := 0.0
	for j := range a {
		s = math.FMA(a[j], b[j], s)
	}
	return s
}
