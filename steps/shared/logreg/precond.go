package logreg

import (
	"math"

	"gonum.org/v1/gonum/floats"
)

const (
	// preconditionRows·(d+1) is the number of rows the preconditioner
	// samples (at least sketchRows, and all rows when there are no more):
	// on 100k × 584, 14 per coefficient take 13 passes, 8 take 15, 20
	// take 12 for a Gram matrix that costs more than that pass saves.
	preconditionRows = 14
	// preconditionMaxPasses bounds the work of building a preconditioner
	// (the sample's Gram matrix and its Cholesky factorisation), in fused
	// multiply-adds, by this many passes' worth (a pass does 2·n·(d+1)):
	// the Gram matrix runs from cache at several times a pass's rate per
	// multiply-add, so that is about 4 passes of time. Where the bound
	// leaves fewer than 4 rows per coefficient, the sample would shape
	// the steps worse than plain L-BFGS does, and there is none. On
	// 100k × 584 the build costs 12 passes' multiply-adds.
	preconditionMaxPasses = 20
)

// preconditioner is the Cholesky factor of a sampled Hessian of F at the
// starting point, which shapes L-BFGS's initial inverse Hessian (see
// history.apply):
//
//	Ĥ = (n/m)·AᵀA + (λ₂ + ridge)·I,   row k of A = √(sᵢσ(zᵢ)(1−σ(zᵢ)))·(x̃ᵢ, 1)
//
// for m evenly spaced rows i of the set (all of them when n ≤ m), as
// solveNewton samples its Hessian. On embedding-like data, whose Hessian
// is a few large eigenvalues over a flat bulk and the intercept's
// curvature hundreds of times a coefficient's, plain L-BFGS spends most
// of its iterations learning that shape from its correction pairs;
// started with it, L-BFGS needs only to correct the sample's error and
// the change of σ along the way: on steps/shared/dataset/synth's
// 100k × 584, 13 passes instead of 39, to a lower objective.
type preconditioner struct {
	n int // the dimension of θ
	// u is the Cholesky factor: Ĥ = UᵀU, U upper triangular, its rows
	// packed (row i holds U[i][i:], at offset i·n − i(i−1)/2), so that
	// the factor of 585 coefficients (1.4 MB) stays in the L2 cache.
	u []float64
}

// newPreconditioner builds the preconditioner at θ, or returns nil when
// its build would cost too much (see preconditionMaxPasses) or the
// sample's Hessian is not numerically positive definite.
func (p *problem) newPreconditioner(theta []float64) *preconditioner {
	e, n := p.e, p.dim()
	m := min(max(sketchRows, preconditionRows*n), e.n)
	if rows, cols := float64(e.n), float64(n); rows*cols > 1e6 { // not a toy problem
		budget := preconditionMaxPasses*2*rows*cols - cols*cols*cols/6
		m = min(m, int(budget/(cols*cols/2)))
		if m < min(4*n, e.n) {
			return nil
		}
	}
	s := newSample(p, m, theta)
	u := s.gramPacked(n)
	scale, trace := float64(e.n)/float64(m), 0.0
	for i, off := 0, 0; i < n; i, off = i+1, off+n-i {
		trace += u[off]
	}
	ridge := 1e-8 * scale * trace / float64(n)
	floats.Scale(scale, u)
	for i, off := 0, 0; i < n; i, off = i+1, off+n-i {
		u[off] += ridge
		if i < p.d {
			u[off] += p.lambda2
		}
	}
	if !choleskyPacked(u, n) {
		return nil
	}
	return &preconditioner{n: n, u: u}
}

// choleskyPacked factors the symmetric matrix A whose upper triangle u
// holds, rows packed as in preconditioner.u, into UᵀU in place, row by
// row: row i of U is row i of what is left of A over √aᵢᵢ, and its outer
// product comes off the rows below. It reports false if A is not
// numerically positive definite. (lapack's Potrf would need the full
// square, twice the memory, and brings megabytes of gonum's BLAS into the
// process's resident code.)
func choleskyPacked(u []float64, n int) bool {
	for i, off := 0, 0; i < n; i, off = i+1, off+n-i {
		d := u[off]
		if !(d > 0) || math.IsInf(d, 0) {
			return false
		}
		row := u[off : off+n-i]
		floats.Scale(1/math.Sqrt(d), row)
		for j, offJ := i+1, off+n-i; j < n; j, offJ = j+1, offJ+n-j {
			if a := row[j-i]; a != 0 {
				floats.AddScaled(u[offJ:offJ+n-j], -a, row[j-i:])
			}
		}
	}
	return true
}

// solve sets v to Ĥ⁻¹·v: Uᵀz = v forward, then U·x = z backward, each
// along U's rows (lapack's Potrs on one column walks its columns, at
// several times the cost).
func (c *preconditioner) solve(v []float64) {
	n, u := c.n, c.u
	for i, off := 0, 0; i < n; i, off = i+1, off+n-i {
		v[i] /= u[off]
		floats.AddScaled(v[i+1:], -v[i], u[off+1:off+n-i])
	}
	for i, off := n-1, len(u)-1; i >= 0; i, off = i-1, off-(n-i+1) {
		v[i] = (v[i] - floats.Dot(u[off+1:off+n-i], v[i+1:])) / u[off]
	}
}

// sample is the factor A of a sampled Hessian: its rows in X and their
// weights √(sᵢσ(zᵢ)(1−σ(zᵢ))).
type sample struct {
	p    *problem
	rows []int
	coef []float64
}

// newSample takes m evenly spaced rows of the set and their weights at θ.
func newSample(p *problem, m int, theta []float64) *sample {
	e, d := p.e, p.d
	s := &sample{p: p, rows: make([]int, m), coef: make([]float64, m)}
	b := 0.0
	if p.fitB {
		b = theta[d]
	}
	wEff, bEff := e.fold(theta[:d], b)
	parallelFor(e.workers, (m+chunkRows-1)/chunkRows, func(c int) {
		for k := c * chunkRows; k < min(m, (c+1)*chunkRows); k++ {
			i := e.row(k * e.n / m)
			sw := e.cw[int(e.y[i])]
			if e.sw != nil {
				sw *= e.sw[i]
			}
			t := e.otherMargin(i, dot(e.x[i*d:(i+1)*d], wEff)+bEff)
			ex := expNeg(-math.Abs(t))
			s.rows[k], s.coef[k] = i, math.Sqrt(sw*ex)/(1+ex)
		}
	})
	return s
}

// gramPacked returns AᵀA, its upper triangle's rows packed as in
// preconditioner.u (the columns of A being the coefficients, then the
// intercept). It works through the sample gramRows rows at a time: the
// goroutines pack the block's rows into a panel (in float64, in groups
// of eight columns: column q of row k of the block is at
// (q/8)·rows·8 + k·8 + q%8), then each adds the panel to its share of
// the 8×8 tiles of the lower triangle with gram8x8, so that the panel
// (1.2 MB) stays in the L2 cache and no copy of A is ever whole. Each
// entry is one chain of fused multiply-adds over the sample's rows in
// order, whichever goroutine computes it.
func (s *sample) gramPacked(n int) []float64 {
	e, m := s.p.e, len(s.rows)
	groups := (n + 7) / 8
	var tiles [][2]int // groups of the tile's rows and columns
	for i := range groups {
		for j := range i + 1 {
			tiles = append(tiles, [2]int{i, j})
		}
	}
	acc := make([][64]float64, len(tiles))
	panel := make([]float64, gramRows*groups*8)
	workers := min(e.workers, len(tiles))
	for k0 := 0; k0 < m; k0 += gramRows {
		rows := min(gramRows, m-k0)
		parallelFor(workers, workers, func(w int) {
			for k := k0 + w*rows/workers; k < k0+(w+1)*rows/workers; k++ {
				s.packRow(panel, rows, k-k0, k, n)
			}
		})
		parallelFor(workers, workers, func(w int) {
			for t := w * len(tiles) / workers; t < (w+1)*len(tiles)/workers; t++ {
				i, j := tiles[t][0], tiles[t][1]
				gram8x8(panel[i*rows*8:], panel[j*rows*8:], 8, rows, &acc[t])
			}
		})
	}
	u := make([]float64, n*(n+1)/2)
	off := make([]int, n) // where each packed row starts
	for i := 1; i < n; i++ {
		off[i] = off[i-1] + n - (i - 1)
	}
	for t, tile := range tiles {
		for r := range 8 {
			for c := range 8 {
				if p, q := tile[0]*8+r, tile[1]*8+c; p < n && q <= p {
					u[off[q]+p-q] = acc[t][r*8+c]
				}
			}
		}
	}
	return u
}

// packRow writes row k of A (sample row k, at row r of the block of
// rows rows) into the panel, zero past column n.
func (s *sample) packRow(panel []float64, rows, r, k, n int) {
	e, d := s.p.e, s.p.d
	ck, i := s.coef[k], s.rows[k]
	x := e.x[i*d : (i+1)*d]
	for g := range (n + 7) / 8 {
		dst := panel[g*rows*8+r*8 : g*rows*8+r*8+8]
		for c := range 8 {
			j, v := g*8+c, 0.0
			switch {
			case j < d && e.mean != nil:
				v = ck * (float64(x[j]) - e.mean[j]) / e.std[j]
			case j < d:
				v = ck * float64(x[j])
			case j < n:
				v = ck // the intercept
			}
			dst[c] = v
		}
	}
}
