package logreg

import (
	"context"
	"math"
	"sync"
	"testing"

	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

// preconditionParams are the fits Settings.Precondition applies to: the
// L-BFGS ones, with class and sample weights and standardisation.
var preconditionParams = map[string]Params{
	"l2":   DefaultParams(),
	"none": {Penalty: NoPenalty, C: 1, FitIntercept: true, MaxIter: 100, Tol: 1e-4},
	"standardize-balanced": {Penalty: L2, C: 0.5, ClassWeight: ClassWeight{Kind: Balanced},
		FitIntercept: true, MaxIter: 100, Tol: 1e-4, Standardize: true},
	"no-intercept": {Penalty: L2, C: 2, MaxIter: 100, Tol: 1e-4},
}

// weightedPropertyData is propertyData with sample weights.
func weightedPropertyData(t testing.TB) *Data {
	data := propertyData(t)
	data.Weight = make([]float64, data.N)
	for i := range data.Weight {
		data.Weight[i] = 0.5 + float64(i%7)/4
	}
	return data
}

// TestPreconditionedFit checks that a preconditioned fit reaches the
// objective of a plain one, in fewer passes on embedding-like data, and
// that at scikit-learn's tolerance it stops no higher than the plain fit
// (which stops at a tenth of scikit-learn's objective test) less a
// margin far below that test's.
func TestPreconditionedFit(t *testing.T) {
	data := weightedPropertyData(t)
	for name, params := range preconditionParams {
		t.Run(name, func(t *testing.T) {
			plain := mustFit(t, data, params, nil)
			pre := mustFit(t, data, params, &Settings{Precondition: true})
			if !pre.Converged {
				t.Errorf("preconditioned: not converged: %v", pre.Status)
			}
			if rel := (pre.Objective - plain.Objective) / plain.Objective; rel > 1e-10 {
				t.Errorf("preconditioned objective %.15g after %d passes, plain %.15g after %d: higher by %.3g",
					pre.Objective, pre.Evaluations, plain.Objective, plain.Evaluations, rel)
			}
			if pre.Evaluations >= plain.Evaluations {
				t.Errorf("preconditioned: %d passes, plain %d", pre.Evaluations, plain.Evaluations)
			}
			t.Logf("%d passes, plain %d; objective %.15g, plain %.15g", pre.Evaluations, plain.Evaluations, pre.Objective, plain.Objective)

			params.Tol, params.MaxIter = 1e-10, 1000
			plain = mustFit(t, data, params, nil)
			pre = mustFit(t, data, params, &Settings{Precondition: true})
			if rel := math.Abs(pre.Objective-plain.Objective) / plain.Objective; rel > 1e-12 {
				t.Errorf("at tol 1e-10: preconditioned objective %.15g, plain %.15g", pre.Objective, plain.Objective)
			}
		})
	}
}

// TestPreconditionedDeterminism checks that a preconditioned fit gives
// the same bits for any parallelism, any order of Rows, and in a Batch:
// the sample's Gram matrix is summed in a fixed order, as a pass is.
func TestPreconditionedDeterminism(t *testing.T) {
	data := weightedPropertyData(t)
	shuffled := shuffledRows(t, data)
	batch, err := NewBatch(data, 2)
	if err != nil {
		t.Fatal(err)
	}
	batched := map[string]*Result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, params := range preconditionParams {
		wg.Go(func() {
			res, err := Fit(context.Background(), data, params, &Settings{Parallelism: 3, Precondition: true, Batch: batch})
			if err != nil {
				t.Errorf("%s in a batch: %v", name, err)
				return
			}
			mu.Lock()
			batched[name] = res
			mu.Unlock()
		})
	}
	wg.Wait()
	for name, params := range preconditionParams {
		t.Run(name, func(t *testing.T) {
			ref := mustFit(t, data, params, &Settings{Parallelism: 1, Precondition: true})
			for _, par := range []int{2, 3, 8} {
				if got := mustFit(t, data, params, &Settings{Parallelism: par, Precondition: true}); !sameBits(ref, got) {
					t.Errorf("Parallelism %d: objective %.17g, with 1: %.17g", par, got.Objective, ref.Objective)
				}
			}
			if got := mustFit(t, shuffled, params, &Settings{Precondition: true}); !sameBits(ref, got) {
				t.Errorf("shuffled Rows: objective %.17g, in order: %.17g", got.Objective, ref.Objective)
			}
			if got := batched[name]; got != nil && !sameBits(ref, got) {
				t.Errorf("in a batch: objective %.17g, alone: %.17g", got.Objective, ref.Objective)
			}
		})
	}
}

// TestPreconditionTooCostly checks that where the sample's Gram matrix
// would cost more than preconditionMaxPasses passes (many features beside
// few rows), a fit asked to precondition runs without, to the same bits
// as a plain fit.
func TestPreconditionTooCostly(t *testing.T) {
	data := synthData(synth.Config{N: 4000, Dim: 400, Seed: 7})
	params := DefaultParams()
	e := newEvaluator(data, [2]float64{1, 1}, 1)
	p, theta, err := newProblem(e, data, params, &Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if p.newPreconditioner(theta) != nil {
		t.Fatal("a preconditioner for 400 features on 4000 rows: want none, its Gram matrix costs too much")
	}
	plain := mustFit(t, data, params, nil)
	if pre := mustFit(t, data, params, &Settings{Precondition: true}); !sameBits(plain, pre) {
		t.Errorf("asked to precondition: objective %.17g, plain %.17g", pre.Objective, plain.Objective)
	}
}

// TestPreconditionerSolve checks Ĥ⁻¹ against Ĥ: the packed factor's
// solve undoes a product with the Hessian it was built from.
func TestPreconditionerSolve(t *testing.T) {
	data := weightedPropertyData(t)
	params := preconditionParams["standardize-balanced"]
	cw := params.ClassWeight.weights([2]int{data.N - int(sumLabels(data)), int(sumLabels(data))})
	e := newEvaluator(data, cw, 2)
	e.standardize()
	p, theta, err := newProblem(e, data, params, &Settings{})
	if err != nil {
		t.Fatal(err)
	}
	for j := range theta {
		theta[j] = 0.01 * float64(j%5-2)
	}
	c := p.newPreconditioner(theta)
	if c == nil {
		t.Fatal("no preconditioner")
	}
	// Ĥ·x from its definition, on the same sample.
	n := p.dim()
	m := min(max(sketchRows, preconditionRows*n), e.n)
	s := newSample(p, m, theta)
	x := make([]float64, n)
	for j := range x {
		x[j] = math.Sin(float64(j + 1))
	}
	hx := make([]float64, n)
	row := make([]float64, n)
	for k, i := range s.rows {
		for j, v := range e.x[i*p.d : (i+1)*p.d] {
			row[j] = (float64(v) - e.mean[j]) / e.std[j]
		}
		row[p.d] = 1
		ax := 0.0
		for j := range n {
			ax += row[j] * x[j]
		}
		for j := range n {
			hx[j] += float64(e.n) / float64(m) * s.coef[k] * s.coef[k] * ax * row[j]
		}
	}
	for j := range p.d {
		hx[j] += p.lambda2 * x[j]
	}
	c.solve(hx)
	for j := range x {
		if math.Abs(hx[j]-x[j]) > 1e-4*(1+math.Abs(x[j])) {
			t.Errorf("Ĥ⁻¹Ĥx: entry %d is %.9g, want %.9g", j, hx[j], x[j])
		}
	}
}

func sumLabels(d *Data) float64 {
	s := 0.0
	for _, y := range d.Y {
		s += y
	}
	return s
}
