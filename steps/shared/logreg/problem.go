package logreg

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/floats"
)

// Both solvers minimise, over θ = (w, b),
//
//	F(θ) = L(w, b) + λ₂/2·‖w‖² + λ₁·‖w‖₁,   λ₂ = (1−ρ)/C, λ₁ = ρ/C
//
// (λ₂ = λ₁ = 0 for NoPenalty): the objective of [Params] divided by C,
// which is the scale in which scikit-learn's lbfgs solver measures its
// gradient tolerance. When λ₁ = 0, F is smooth and solveLBFGS minimises
// it; when λ₁ > 0, solveNewton (newton.go) does. Both evaluate F and ∇F
// with the same fused pass and stop on the same tests:
//
//   - gradient: ‖v‖∞ ≤ tol, where v is the gradient of F, or for λ₁ > 0
//     its minimum-norm subgradient (zero exactly at the optimum);
//   - objective: F_{k−1} − F_k ≤ 2.2e-6·tol·max(|F_{k−1}|, |F_k|, 1),
//     scipy's L-BFGS-B test (scikit-learn applies it with a relative
//     tolerance of 2.2e-9 whatever tol is), here 2.2e-10 at the default
//     tol of 1e-4 and tighter with tol (p.objTol; see
//     Settings.ObjectiveTol). solveNewton applies it to the
//     decrease its model predicts for the next step rather than to the
//     one just achieved, which says little while the sampled Hessian's
//     error limits the rate;
//   - max_iter iterations.
//
// A step whose predicted decrease is below the precision of F (see
// negligible) also ends the fit as converged, since no test on F could
// tell a better point.

const (
	// objectiveRelTol·tol is the default relative tolerance of the
	// objective test above: 2.2e-10 at the default tol, a tenth of
	// scipy's 2.2e-9 (factr = 1e7), which costs a few more iterations and
	// keeps us at or below scikit-learn's objective; tighter when tol asks
	// for it. Settings.ObjectiveTol replaces it.
	objectiveRelTol = 2.2e-6
	// maxLineSearch bounds the evaluations in one line search (scipy's
	// maxls is 20).
	maxLineSearch = 20
	// armijo is the sufficient-decrease constant of both line searches.
	armijo = 1e-4
)

// negligible reports whether a decrease of F (from f) is below the
// precision F is computed to: 2⁻⁴⁰ (about 1e-12) relative. It is also true
// for a decrease that is not positive.
func negligible(decrease, f float64) bool {
	return !(decrease > 0x1p-40*max(math.Abs(f), 1))
}

// problem is F and its parts, for the solver.
type problem struct {
	e       *evaluator
	d       int  // number of coefficients
	fitB    bool // θ has an intercept after the d coefficients
	lambda2 float64
	lambda1 float64
	// objTol is the relative tolerance of the objective test:
	// objectiveRelTol·tol unless Settings.ObjectiveTol says otherwise.
	objTol float64
	// seed, when not nil, holds the curvature pairs of an earlier fit of
	// the same data term, to start L-BFGS with (see Settings.Curvature).
	seed *Curvature
	// precondition is Settings.Precondition.
	precondition bool
}

// dim returns the length of θ.
func (p *problem) dim() int {
	if p.fitB {
		return p.d + 1
	}
	return p.d
}

// smooth returns L + λ₂/2·‖w‖² and its gradient in g, in one pass, and L.
func (p *problem) smooth(theta, g []float64) (f, loss float64) {
	w := theta[:p.d]
	b := 0.0
	if p.fitB {
		b = theta[p.d]
	}
	loss, gb := p.e.lossGrad(w, b, g[:p.d])
	if p.fitB {
		g[p.d] = gb
	}
	f = loss
	if p.lambda2 != 0 {
		f += p.lambda2 / 2 * floatsDot(w, w)
		floats.AddScaled(g[:p.d], p.lambda2, w)
	}
	return f, loss
}

// value returns F given the smooth part f at θ.
func (p *problem) value(f float64, theta []float64) float64 {
	if p.lambda1 == 0 {
		return f
	}
	return f + p.lambda1*floats.Norm(theta[:p.d], 1)
}

// pseudoGradient stores in v the minimum-norm subgradient of F at θ, given
// the gradient g of the smooth part.
func (p *problem) pseudoGradient(v, theta, g []float64) {
	copy(v, g)
	if p.lambda1 == 0 {
		return
	}
	l := p.lambda1
	for j, t := range theta[:p.d] {
		switch {
		case t > 0:
			v[j] = g[j] + l
		case t < 0:
			v[j] = g[j] - l
		case g[j]+l < 0:
			v[j] = g[j] + l
		case g[j]-l > 0:
			v[j] = g[j] - l
		default:
			v[j] = 0
		}
	}
}

// iterate is the state of the solver at one point.
type iterate struct {
	theta []float64 // θ
	loss  float64   // L, the data term
	f     float64   // smooth part
	obj   float64   // F
	g     []float64 // gradient of the smooth part
}

func newIterate(n int) *iterate {
	return &iterate{theta: make([]float64, n), g: make([]float64, n)}
}

func (it *iterate) set(src *iterate) {
	copy(it.theta, src.theta)
	copy(it.g, src.g)
	it.loss, it.f, it.obj = src.loss, src.f, src.obj
}

// solution is what the solver returns.
type solution struct {
	theta       []float64
	obj         float64 // F
	loss        float64 // L
	gradNorm    float64 // ‖v‖∞
	iterations  int
	evaluations int
	status      Status
	curvature   *Curvature // L-BFGS only
}

// errNotFinite is returned when an evaluation is not finite.
var errNotFinite = errors.New("objective is not finite")

// evalAt evaluates F at it.theta.
func (p *problem) evalAt(it *iterate) error {
	it.f, it.loss = p.smooth(it.theta, it.g)
	it.obj = p.value(it.f, it.theta)
	if math.IsNaN(it.obj) || math.IsInf(it.obj, 0) {
		return errNotFinite
	}
	return nil
}

// interceptScale returns the intercept's entry of the diagonal that
// shapes L-BFGS's initial inverse Hessian, relative to the coefficients'
// 1 (see history.apply): the ratio of the diagonal Hessian entries of a
// coefficient and of the intercept,
//
//	(λ₂ + S·E[x̃ⱼ²]/4) / (S/4),   S = Σᵢ sᵢ,
//
// at σ(1−σ) = ¼, with E[x̃ⱼ²] the mean square of a feature over a fixed
// sample of the rows (every feature pooled). Embedding features are small
// (a unit-norm row of 584 has E[x²] = 1/584), so the intercept's
// curvature is hundreds of times a coefficient's; the scalar H₀ = γI of
// plain L-BFGS fits neither, and the solver spends iterations learning the
// gap. The value only shapes the steps, never the optimum, and is the
// same on every run.
func (p *problem) interceptScale() float64 {
	e := p.e
	total := 0.0
	for q := range e.n {
		i := e.row(q)
		s := e.cw[int(e.y[i])]
		if e.sw != nil {
			s *= e.sw[i]
		}
		total += s
	}
	const sampleRows = 2048
	m := min(e.n, sampleRows)
	sq := 0.0
	passed := e.row(0) // rows before it are reported to the batch's OnSample
	for q := range m {
		i := e.row(q * e.n / m)
		if q%sampleSpan == 0 && q > 0 {
			e.sampled(passed, i)
			passed = i
		}
		for j, v := range e.x[i*e.d : (i+1)*e.d] {
			x := float64(v)
			if e.mean != nil {
				x = (x - e.mean[j]) / e.std[j]
			}
			sq += x * x
		}
	}
	e.sampled(passed, len(e.x)/e.d)
	meanSq := sq / float64(m*e.d)
	scale := (p.lambda2 + total/4*meanSq) / (total / 4)
	if !(scale > 0) || math.IsInf(scale, 0) {
		return 0
	}
	return scale
}
