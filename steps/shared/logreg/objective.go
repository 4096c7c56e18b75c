package logreg

import (
	"math"
	"slices"

	"github.com/pipe-ml/pipe/steps/shared/fault"
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
		e.parallel(func(c int) { e.lossGradChunkStream(c, bEff) })
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
// times the row added to the chunk's gradient (axpy). Rows go four at a
// time: their margins two by two (dot2, which shares the loads of w and
// keeps eight chains of fused multiply-adds in flight), then their four
// rows added to the gradient in one sweep (axpy4, which loads and stores
// the gradient once for four rows). The bits are those of dot and axpy
// one row at a time, in row order.
func (e *evaluator) lossGradChunk(c int, bEff float64) {
	lo, hi := c*chunkRows, min(e.n, (c+1)*chunkRows)
	d := e.d
	g := e.partGrad[c*d : (c+1)*d]
	clear(g)
	sl := softplusSum{product: [2]float64{1, 1}}
	resid := 0.0
	var (
		idx [4]int
		xs  [4][]float32
		z   [4]float64
		r   [4]float64
	)
	p := lo
	for ; p+4 <= hi; p += 4 {
		for k := range 4 {
			i := e.row(p + k)
			idx[k], xs[k] = i, e.x[i*d:(i+1)*d:(i+1)*d]
		}
		z[0], z[1] = dot2(xs[0], xs[1], e.wEff)
		z[2], z[3] = dot2(xs[2], xs[3], e.wEff)
		for k := range 4 {
			z[k] += bEff
		}
		e.rowLoss4(&sl, &idx, &z, &r)
		for k := range 4 {
			resid += r[k]
		}
		axpy4(&r, &xs, g)
	}
	for ; p < hi; p++ {
		i := e.row(p)
		xi := e.x[i*d : (i+1)*d : (i+1)*d]
		ri := e.rowLoss(&sl, i, dot(xi, e.wEff)+bEff)
		resid += ri
		axpy(ri, xi, g)
	}
	e.partLoss[c] = sl.value(e.cw)
	e.partResid[c] = resid
}

// lossGradChunkStream is lossGradChunk for a pass of one fit, whose rows
// stream in from memory: it takes the margin of the next row while it adds
// the previous one, still in the L1 cache, to the gradient (dotAxpy), so
// that this work overlaps the wait for the next row. Same bits.
func (e *evaluator) lossGradChunkStream(c int, bEff float64) {
	lo, hi := c*chunkRows, min(e.n, (c+1)*chunkRows)
	d := e.d
	g := e.partGrad[c*d : (c+1)*d]
	clear(g)
	rowX := func(p int) (int, []float32) {
		i := e.row(p)
		return i, e.x[i*d : (i+1)*d : (i+1)*d]
	}
	sl := softplusSum{product: [2]float64{1, 1}}
	resid := 0.0
	i, xi := rowX(lo)
	z := dot(xi, e.wEff) + bEff
	for p := lo; p < hi; p++ {
		r := e.rowLoss(&sl, i, z)
		resid += r
		if p+1 == hi {
			axpy(r, xi, g)
			break
		}
		next, xn := rowX(p + 1)
		z = dotAxpy(xn, e.wEff, r, xi, g) + bEff
		i, xi = next, xn
	}
	e.partLoss[c] = sl.value(e.cw)
	e.partResid[c] = resid
}

// lossGradChunkPair is lossGradChunk for two evaluators on the same rows
// of the same matrix, with folded intercepts ba and bb: each row is
// converted once for both (dot1x2, axpy4x2), and each evaluator gets the
// bits lossGradChunk gives it alone.
func lossGradChunkPair(c int, a *evaluator, ba float64, b *evaluator, bb float64) {
	lo, hi := c*chunkRows, min(a.n, (c+1)*chunkRows)
	d := a.d
	ga, gb := a.partGrad[c*d:(c+1)*d], b.partGrad[c*d:(c+1)*d]
	clear(ga)
	clear(gb)
	sa := softplusSum{product: [2]float64{1, 1}}
	sb := sa
	var residA, residB float64
	var (
		idx    [4]int
		xs     [4][]float32
		za, zb [4]float64
		ra, rb [4]float64
	)
	p := lo
	for ; p+4 <= hi; p += 4 {
		for k := range 4 {
			i := a.row(p + k)
			idx[k], xs[k] = i, a.x[i*d:(i+1)*d:(i+1)*d]
		}
		for k := range 4 {
			za[k], zb[k] = dot1x2(xs[k], a.wEff, b.wEff)
			za[k] += ba
			zb[k] += bb
		}
		a.rowLoss4(&sa, &idx, &za, &ra)
		b.rowLoss4(&sb, &idx, &zb, &rb)
		for k := range 4 {
			residA += ra[k]
			residB += rb[k]
		}
		axpy4x2(&ra, &rb, &xs, ga, gb)
	}
	for ; p < hi; p++ {
		i := a.row(p)
		xi := a.x[i*d : (i+1)*d : (i+1)*d]
		z0, z1 := dot1x2(xi, a.wEff, b.wEff)
		r := a.rowLoss(&sa, i, z0+ba)
		residA += r
		axpy(r, xi, ga)
		r = b.rowLoss(&sb, i, z1+bb)
		residB += r
		axpy(r, xi, gb)
	}
	a.partLoss[c], a.partResid[c] = sa.value(a.cw), residA
	b.partLoss[c], b.partResid[c] = sb.value(b.cw), residB
}

// softplusSum accumulates the loss of a chunk's rows. The loss of a row
// is ℓ = max(t, 0) + log(1 + e^−|t|) with t the margin of the other
// class (see rowLoss); without sample weights, rows of one class share a
// weight, so the logarithms of a class's rows are summed as one logarithm
// of the product of the (1 + e^−|t|) ∈ (1, 2], which cannot overflow in a
// chunk (at most 2^chunkRows) and is as accurate as adding up the rows'
// logarithms (a rounding per row either way), at one logarithm per chunk
// instead of one per row. With sample weights each row's logarithm is
// added weighted.
type softplusSum struct {
	linear   [2]float64 // per class: Σ max(t, 0)
	product  [2]float64 // per class: Π (1 + e^−|t|); start at 1
	weighted float64    // with sample weights: Σ sᵢ·ℓᵢ
}

// value returns the chunk's loss for class weights cw.
func (s *softplusSum) value(cw [2]float64) float64 {
	l0 := s.linear[0] + math.Log(s.product[0])
	l1 := s.linear[1] + math.Log(s.product[1])
	return s.weighted + cw[0]*l0 + cw[1]*l1
}

// rowLoss adds sᵢ·ℓ(yᵢ, z) for row i with margin z to sl and returns
// rᵢ = sᵢ·(σ(z) − yᵢ), without overflow or cancellation: with t the
// margin of the other class (z for y = 0, −z for y = 1),
// ℓ = log(1 + eᵗ) = max(t, 0) + log(1 + e^−|t|) and the derivative is
// ±σ(t).
func (e *evaluator) rowLoss(sl *softplusSum, i int, z float64) float64 {
	t := e.otherMargin(i, z)
	return e.rowLossExp(sl, i, t, expNeg(-math.Abs(t)))
}

// rowLoss4 is rowLoss for four rows in turn, their exponentials taken
// together (expNeg4): it sets r[k] for row idx[k] with margin z[k].
func (e *evaluator) rowLoss4(sl *softplusSum, idx *[4]int, z, r *[4]float64) {
	var t, ex [4]float64
	for k := range 4 {
		t[k] = e.otherMargin(idx[k], z[k])
		ex[k] = -math.Abs(t[k])
	}
	expNeg4(&ex)
	for k := range 4 {
		r[k] = e.rowLossExp(sl, idx[k], t[k], ex[k])
	}
}

// otherMargin returns t, the margin of the class row i is not in.
func (e *evaluator) otherMargin(i int, z float64) float64 {
	if e.y[i] != 0 {
		return -z
	}
	return z
}

// rowLossExp is rowLoss given t and ex = e^−|t|.
func (e *evaluator) rowLossExp(sl *softplusSum, i int, t, ex float64) float64 {
	k := int(e.y[i])
	onePlus := 1 + ex
	var sig float64
	if t >= 0 {
		sig = 1 / onePlus
	} else {
		sig = ex / onePlus
	}
	s := e.cw[k]
	if e.sw != nil {
		s *= e.sw[i]
		sl.weighted += s * (max(t, 0) + math.Log1p(ex))
	} else {
		if t > 0 {
			sl.linear[k] += t
		}
		sl.product[k] *= onePlus
	}
	if k != 0 {
		return -s * sig
	}
	return s * sig
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
// The goroutines guard against a fault on a memory-mapped X (see
// steps/shared/fault), which is raised again in the caller's goroutine.
func parallelWorkers(workers, count int, f func(worker, i int)) {
	fault.Go(workers, count, f)
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
