package logreg

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/pipe-ml/pipe/steps/shared/fault"
)

// Settings tune how a fit runs, not what it computes (except Init, which
// changes where it starts). A nil *Settings means the defaults.
type Settings struct {
	// Parallelism is the number of goroutines a pass over the data uses;
	// 0 means runtime.GOMAXPROCS(0). It never changes the result.
	Parallelism int
	// InitCoef and InitIntercept are the starting point (a warm start),
	// e.g. the solution for the previous C on a path. Nil InitCoef starts
	// from zero coefficients. With Standardize they refer to standardised
	// features, as Result.Coef does. InitIntercept is ignored without
	// FitIntercept.
	InitCoef      []float64
	InitIntercept float64
	// Scaling, with Standardize, is the standardisation to use instead of
	// computing it from the rows (two passes): pass Result.Scaling of an
	// earlier fit on the same rows, e.g. along a path of C values. It
	// changes the result only if it differs from what would be computed.
	Scaling *Scaling
	// Progress, if not nil, is called after every iteration.
	Progress func(Progress)
	// Curvature, if not nil, is Result.Curvature of an earlier fit on the
	// same rows with the same class weights, sample weights, scaling and
	// fit_intercept, such as the fit for the previous C on a path: an l2
	// or unpenalised fit then starts L-BFGS with its curvature pairs
	// (corrected for the change of C, exactly) instead of learning them
	// again. With InitCoef it saves iterations; it changes only where,
	// within its tolerance, the fit stops. Fits by the Newton solver (l1,
	// elasticnet) ignore it. The caller answers for the rows being the
	// same; Fit checks what it can and refuses a mismatch.
	Curvature *Curvature
	// ObjectiveTol, if not 0, is the relative decrease of the objective
	// below which an iteration ends the fit (see [Fit]), in place of the
	// default 2.2e-6·Params.Tol: 2.2e-10 at the default Tol, a tenth of
	// the 2.2e-9 scikit-learn's lbfgs stops at, so that a model's objective
	// is at least as low as scikit-learn's. A cross-validation, which
	// compares candidates by their held-out scores, can stop where
	// scikit-learn's does (steps/search passes 2.2e-5·Tol). It must be
	// finite and not negative.
	ObjectiveTol float64
	// Precondition, for an l2 or unpenalised fit, starts L-BFGS with the
	// Hessian of a sample of the rows at the starting point (m = max(4096,
	// 14·(D+1)) evenly spaced rows) as its initial inverse Hessian,
	// instead of learning that curvature from its correction pairs: far
	// fewer passes where the curvatures of directions differ widely, as
	// on embeddings (13 passes instead of 39 on steps/shared/dataset/synth's
	// 100k × 584, to a lower objective). It costs the sample's Gram
	// matrix and a Cholesky factorisation, about three passes of CPU
	// time there, and holds a factor of (D+1)²/2 float64 (1.4 MB for
	// D = 584) while the fit runs. Where the rows are few beside the
	// features the sample shrinks to bound that cost by about four
	// passes, and below 4 rows per feature the fit runs without. It
	// changes only where, within its tolerance, the fit stops. The Newton
	// solver (l1, elasticnet) ignores it: it samples its own Hessian.
	Precondition bool
	// Batch, if not nil, runs the fit's passes over the data together
	// with those of the other fits running at once in the same Batch,
	// whose matrix must be data's X. It never changes the result.
	Batch *Batch
}

// Progress describes one iteration, for [Settings.Progress].
type Progress struct {
	Iteration   int
	Evaluations int
	// Objective is F, the objective divided by C (see [Params.Tol]).
	Objective float64
	// GradNorm is the largest component of the (sub)gradient of F.
	GradNorm float64
}

// Status says why a fit stopped.
type Status int

const (
	// NotTerminated is the zero value; a returned Result never has it.
	NotTerminated Status = iota
	// GradientThreshold: the (sub)gradient test of [Params.Tol] passed.
	GradientThreshold
	// FunctionConvergence: an iteration reduced the objective by less
	// than a relative 2.2e-6·Tol (2.2e-10 at the default Tol; see
	// Settings.ObjectiveTol), or the next step promised less than that
	// (see [Fit]).
	FunctionConvergence
	// IterationLimit: MaxIter iterations ran without convergence.
	IterationLimit
	// LineSearchFailure: no step along the steepest descent direction
	// decreased the objective, which happens when rounding errors in the
	// objective are as large as the decrease that remains.
	LineSearchFailure
)

// String names the status.
func (s Status) String() string {
	switch s {
	case NotTerminated:
		return "not terminated"
	case GradientThreshold:
		return "gradient threshold"
	case FunctionConvergence:
		return "function convergence"
	case IterationLimit:
		return "iteration limit"
	case LineSearchFailure:
		return "line search failure"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Converged reports whether the status is a convergence test passing.
func (s Status) Converged() bool {
	return s == GradientThreshold || s == FunctionConvergence
}

// Result is a fitted model and what fitting it cost.
type Result struct {
	// Coef holds the D coefficients w and Intercept the intercept b (0
	// without FitIntercept). With Standardize they apply to standardised
	// features (x − Scaling.Mean) / Scaling.Scale; see [NewModel] for
	// coefficients that apply to raw features.
	Coef      []float64
	Intercept float64
	// Objective is the objective of [Params] at (Coef, Intercept):
	// scikit-learn's primal objective for the penalty, C and weights.
	Objective float64
	// Loss is Σᵢ sᵢ·ℓ(yᵢ, zᵢ), the weighted log-loss summed over the rows.
	Loss float64
	// GradNorm is the largest absolute component of the gradient of
	// Objective/C (for l1 and elasticnet: of its minimum-norm subgradient,
	// the KKT violation), the quantity Tol bounds.
	GradNorm float64
	// Iterations counts quasi-Newton iterations, Evaluations the passes
	// over the data that computed the objective and its gradient.
	Iterations, Evaluations int
	// Converged is Status.Converged(); Status says why the fit stopped.
	Converged bool
	Status    Status
	// ClassWeights are the weights applied to classes 0 and 1.
	ClassWeights [2]float64
	// Scaling is the standardisation used, or nil without Standardize.
	Scaling *Scaling
	// Curvature is what the L-BFGS solver learnt of the objective's
	// curvature (nil for the Newton solver), for [Settings.Curvature].
	Curvature *Curvature
	// Duration is the wall time of the fit.
	Duration time.Duration
}

// Scaling is a standardisation: feature j becomes (xⱼ − Mean[j]) / Scale[j].
type Scaling struct {
	Mean  []float64 `json:"mean"`
	Scale []float64 `json:"scale"`
}

// Fit trains binary logistic regression on the rows of data: it minimises
// the objective of [Params] with L-BFGS (l2, none) or a sampled proximal
// Newton method (l1, elasticnet), on a fused, parallel pass over the
// float32 rows.
//
// It stops when the largest component of the (sub)gradient of the
// objective divided by C is at most params.Tol (scikit-learn's lbfgs
// test), when an iteration reduces that objective by less than a relative
// 2.2e-6·Tol (2.2e-10 at the default Tol of 1e-4: a tenth of the
// threshold scikit-learn's lbfgs applies, so that the objective reached is
// at least as good as scikit-learn's; Settings.ObjectiveTol can set
// another), or after params.MaxIter
// iterations; Result.Status says which, and a fit that did not converge
// is reported with Converged false, not as an error. Tol = 0 runs until
// the objective stops decreasing measurably.
//
// The result depends only on the data, params and Init: not on
// Parallelism, and not on the order of data.Rows. Bad data (one class
// only, non-finite features or weights, wrong lengths, no rows) is an
// error that names the row and feature.
//
// A fault on a memory-mapped X (its file truncated under the fit; see
// steps/shared/fault) is an error too, a *fault.Error.
func Fit(ctx context.Context, data *Data, params Params, s *Settings) (_ *Result, err error) {
	defer fault.Guard(&err)()
	start := time.Now()
	if s == nil {
		s = &Settings{}
	}
	if err := checkFit(data, params, s); err != nil {
		return nil, err
	}
	var count [2]int
	for p := range data.Len() {
		count[int(data.Y[data.row(p)])]++
	}
	cw := params.ClassWeight.weights(count)
	if cw[0] == 0 || cw[1] == 0 {
		return nil, fmt.Errorf("logreg: class_weight %s gives a class zero weight: training needs weight on both classes", params.ClassWeight)
	}
	e := newEvaluator(data, cw, workersOr(s.Parallelism))
	res := &Result{ClassWeights: cw}
	if params.Standardize {
		if sc := s.Scaling; sc != nil {
			e.mean, e.std = sc.Mean, sc.Scale
		} else {
			e.standardize()
		}
		if firstNaN(e.mean) >= 0 || firstNaN(e.std) >= 0 {
			return nil, data.nonFinite()
		}
		res.Scaling = &Scaling{Mean: slices.Clone(e.mean), Scale: slices.Clone(e.std)}
	}
	p, theta0, err := newProblem(e, data, params, s)
	if err != nil {
		return nil, err
	}
	solve := p.solveLBFGS
	if p.lambda1 > 0 {
		solve = p.solveNewton
	}
	if s.Batch != nil {
		e.batch = s.Batch
		s.Batch.join()
		// A fit that panics (a fault on a mapped X, see the Batch) fails
		// the batch: the others must not wait for its passes.
		defer func() {
			if p := recover(); p != nil {
				if fe := fault.From(p); fe != nil {
					p = fe // what it faulted on, from where, for every fit
				}
				s.Batch.fail(p, nil, nil)
				panic(p)
			}
		}()
	}
	sol, err := solve(ctx, theta0, params.Tol, params.MaxIter, s.Progress)
	if s.Batch != nil {
		s.Batch.leave()
	}
	switch {
	case errors.Is(err, errNotFinite):
		return nil, data.nonFinite()
	case err != nil:
		return nil, fmt.Errorf("logreg: %w", err)
	}
	res.Coef = slices.Clone(sol.theta[:p.d])
	if p.fitB {
		res.Intercept = sol.theta[p.d]
	}
	res.Curvature, res.GradNorm = sol.curvature, sol.gradNorm
	res.Iterations, res.Evaluations = sol.iterations, sol.evaluations
	res.Status, res.Converged = sol.status, sol.status.Converged()
	res.Loss = sol.loss
	res.Objective = params.objective(res.Coef, sol.loss)
	res.Duration = time.Since(start)
	return res, nil
}

// checkFit checks Fit's arguments: the parameters, the labels and weights
// of the rows, and the settings.
func checkFit(data *Data, params Params, s *Settings) error {
	if err := params.Validate(); err != nil {
		return err
	}
	if data == nil {
		return errors.New("logreg: no data")
	}
	if err := data.checkLabels(); err != nil {
		return err
	}
	if s.InitCoef != nil && len(s.InitCoef) != data.D {
		return fmt.Errorf("logreg: InitCoef has %d coefficients, want one per feature (%d)", len(s.InitCoef), data.D)
	}
	for _, v := range append(slices.Clip(s.InitCoef), s.InitIntercept) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("logreg: the starting point has a non-finite value %v", v)
		}
	}
	if v := s.ObjectiveTol; !(v >= 0) || math.IsInf(v, 1) {
		return fmt.Errorf("logreg: Settings.ObjectiveTol is %v: want a finite value ≥ 0", v)
	}
	if sc := s.Scaling; sc != nil {
		if !params.Standardize {
			return errors.New("logreg: Settings.Scaling is given but Params.Standardize is false")
		}
		if len(sc.Mean) != data.D || len(sc.Scale) != data.D {
			return fmt.Errorf("logreg: Settings.Scaling has %d means and %d scales, want %d of each", len(sc.Mean), len(sc.Scale), data.D)
		}
		for j, v := range sc.Scale {
			if !(v > 0) || math.IsInf(v, 0) || math.IsNaN(sc.Mean[j]) || math.IsInf(sc.Mean[j], 0) {
				return fmt.Errorf("logreg: Settings.Scaling feature %d: mean %v, scale %v: want a finite mean and a finite scale > 0", j, sc.Mean[j], v)
			}
		}
	}
	if s.Batch != nil && !s.Batch.holds(data) {
		return errors.New("logreg: Settings.Batch is over another matrix than the data's")
	}
	return nil
}

// newProblem sets up the problem Fit solves, and its starting point.
func newProblem(e *evaluator, data *Data, params Params, s *Settings) (*problem, []float64, error) {
	p := &problem{e: e, d: data.D, fitB: params.FitIntercept, objTol: objectiveRelTol * params.Tol, precondition: s.Precondition}
	if s.ObjectiveTol != 0 {
		p.objTol = s.ObjectiveTol
	}
	if rho := params.l1Ratio(); rho >= 0 {
		p.lambda2 = (1 - rho) / params.C
		p.lambda1 = rho / params.C
	}
	theta0 := make([]float64, p.dim())
	copy(theta0, s.InitCoef)
	if p.fitB {
		theta0[p.d] = s.InitIntercept
	}
	if c := s.Curvature; c != nil && p.lambda1 == 0 {
		if c.n != e.n || c.cw != p.e.cw || c.fitB != p.fitB || c.hist.dim() != p.dim() {
			return nil, nil, errors.New("logreg: Settings.Curvature is of a fit on other rows, class weights or intercept")
		}
		p.seed = c
	}
	return p, theta0, nil
}

// Curvature is the L-BFGS solver's estimate of the curvature of a fit's
// objective: its last correction pairs. It is opaque; see
// [Settings.Curvature].
type Curvature struct {
	hist    *history
	lambda2 float64
	cw      [2]float64
	n       int
	fitB    bool
}

// workersOr returns parallelism, or runtime.GOMAXPROCS(0) when it is not
// positive.
func workersOr(parallelism int) int {
	if parallelism <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return parallelism
}

// objective returns the objective of p at coefficients w with data term
// (weighted log-loss sum) loss.
func (p Params) objective(w []float64, loss float64) float64 {
	rho := p.l1Ratio()
	if rho < 0 {
		return loss
	}
	pen := 0.0
	if rho < 1 {
		pen += (1 - rho) / 2 * floatsDot(w, w)
	}
	if rho > 0 {
		l1 := 0.0
		for _, v := range w {
			l1 += math.Abs(v)
		}
		pen += rho * l1
	}
	return pen + p.C*loss
}

// nonFinite explains a non-finite objective: a non-finite feature, or
// features so large that margins overflow.
func (d *Data) nonFinite() error {
	if err := d.checkFinite(); err != nil {
		return err
	}
	return errors.New("logreg: the objective overflowed: features or coefficients are too large (try Standardize)")
}

func firstNaN(x []float64) int {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return i
		}
	}
	return -1
}

// rawCoef returns the coefficients that apply to raw features: Coef, or
// Coef/Scale with standardisation.
func (r *Result) rawCoef() []float64 {
	if r.Scaling == nil {
		return r.Coef
	}
	w := make([]float64, len(r.Coef))
	for j, v := range r.Coef {
		w[j] = v / r.Scaling.Scale[j]
	}
	return w
}

// rawIntercept returns the intercept that applies to raw features.
func (r *Result) rawIntercept() float64 {
	if r.Scaling == nil {
		return r.Intercept
	}
	return r.Intercept - floatsDot(r.rawCoef(), r.Scaling.Mean)
}
