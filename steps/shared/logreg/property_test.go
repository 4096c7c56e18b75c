package logreg

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/floats/scalar"

	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

// propertyData is an embedding-like set big enough for many chunks and for
// the Newton solver to sample (rather than use every row).
func propertyData(t testing.TB) *Data {
	t.Helper()
	n := propertyRows
	if testing.Short() {
		n = 3000
	}
	return synthData(synth.Config{N: n, Dim: 24, Rank: 4, Seed: 11})
}

// propertyRows are the rows of propertyData, except with -short.
const propertyRows = 6000

var propertyParams = map[string]Params{
	"l2":         DefaultParams(),
	"l1":         {Penalty: L1, C: 5, FitIntercept: true, MaxIter: 100, Tol: 1e-4},
	"elasticnet": {Penalty: ElasticNet, C: 5, L1Ratio: 0.5, FitIntercept: true, MaxIter: 100, Tol: 1e-4},
	"none":       {Penalty: NoPenalty, C: 1, FitIntercept: true, MaxIter: 100, Tol: 1e-4},
	"standardize-balanced": {Penalty: L1, C: 0.5, ClassWeight: ClassWeight{Kind: Balanced},
		FitIntercept: true, MaxIter: 100, Tol: 1e-4, Standardize: true},
}

func mustFit(t testing.TB, data *Data, params Params, s *Settings) *Result {
	t.Helper()
	res, err := Fit(context.Background(), data, params, s)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// sameBits reports whether two results have identical coefficients,
// intercept and objective.
func sameBits(a, b *Result) bool {
	if len(a.Coef) != len(b.Coef) || math.Float64bits(a.Intercept) != math.Float64bits(b.Intercept) ||
		math.Float64bits(a.Objective) != math.Float64bits(b.Objective) || a.Iterations != b.Iterations {
		return false
	}
	for j := range a.Coef {
		if math.Float64bits(a.Coef[j]) != math.Float64bits(b.Coef[j]) {
			return false
		}
	}
	return true
}

// TestOptimality checks the first-order conditions at the solution, from
// a gradient computed afresh: ∇F = 0 for l2 and none; for l1 and
// elasticnet the minimum-norm subgradient is zero (|∂ⱼ| ≤ λ₁ where
// wⱼ = 0, ∂ⱼ = −λ₁·sign(wⱼ) elsewhere).
func TestOptimality(t *testing.T) {
	data := propertyData(t)
	for name, params := range propertyParams {
		t.Run(name, func(t *testing.T) {
			params.Tol, params.MaxIter = 1e-8, 1000
			res := mustFit(t, data, params, nil)
			e := newEvaluator(data, res.ClassWeights, 1)
			if params.Standardize {
				e.standardize()
			}
			g := make([]float64, data.D)
			loss, gb := e.lossGrad(res.Coef, res.Intercept, g)
			if !scalar.EqualWithinAbsOrRel(loss, res.Loss, 0, 1e-12) {
				t.Errorf("loss %v, result says %v", loss, res.Loss)
			}
			rho := params.l1Ratio()
			lambda2, lambda1 := 0.0, 0.0
			if rho >= 0 {
				lambda2, lambda1 = (1-rho)/params.C, rho/params.C
			}
			// Tolerance: relative to the gradient at zero.
			g0 := make([]float64, data.D)
			_, gb0 := e.lossGrad(make([]float64, data.D), 0, g0)
			tol := 1e-6 * max(math.Abs(gb0), floats.Norm(g0, math.Inf(1)))
			worst := math.Abs(gb)
			for j, w := range res.Coef {
				gj := g[j] + lambda2*w
				var v float64
				switch {
				case w != 0:
					v = gj + lambda1*math.Copysign(1, w)
				default:
					v = max(0, math.Abs(gj)-lambda1)
				}
				worst = max(worst, math.Abs(v))
			}
			if worst > tol {
				t.Errorf("largest KKT violation %.3g > %.3g (%v after %d iterations)", worst, tol, res.Status, res.Iterations)
			}
			if !res.Converged {
				t.Errorf("not converged: %v", res.Status)
			}
			if math.Abs(res.GradNorm-worst) > tol {
				t.Errorf("GradNorm %.3g, recomputed %.3g", res.GradNorm, worst)
			}
		})
	}
}

// TestDeterminism checks that a fit gives the same bits twice and for any
// parallelism, and that the order of Rows does not matter.
func TestDeterminism(t *testing.T) {
	data := propertyData(t)
	for name, params := range propertyParams {
		t.Run(name, func(t *testing.T) {
			ref := mustFit(t, data, params, &Settings{Parallelism: 1})
			for _, par := range []int{1, 2, 3, 8} {
				if got := mustFit(t, data, params, &Settings{Parallelism: par}); !sameBits(ref, got) {
					t.Errorf("Parallelism %d: objective %.17g, with 1: %.17g", par, got.Objective, ref.Objective)
				}
			}
			if got := mustFit(t, shuffledRows(t, data), params, nil); !sameBits(ref, got) {
				t.Errorf("shuffled Rows: objective %.17g, in order: %.17g", got.Objective, ref.Objective)
			}
		})
	}
}

// shuffledRows returns data with all its rows as Rows, in a fixed
// shuffled order.
func shuffledRows(t testing.TB, data *Data) *Data {
	t.Helper()
	rows := make([]int32, data.N)
	for i := range rows {
		rows[i] = int32(i)
	}
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	shuffled, err := data.Subset(rows)
	if err != nil {
		t.Fatal(err)
	}
	return shuffled
}

// TestRowOrderInvariance permutes the rows of X itself. Sums then run in
// another order and round differently, and the Newton solver samples
// other rows, so the two fits take different paths to the optimum and
// stop at different points within the tolerance: the objectives agree to
// about that relative tolerance, the coefficients to about its square
// root.
func TestRowOrderInvariance(t *testing.T) {
	data := propertyData(t)
	perm := rand.New(rand.NewPCG(5, 6)).Perm(data.N)
	p := &Data{X: make([]float32, len(data.X)), N: data.N, D: data.D, Y: make([]float64, data.N)}
	for i, src := range perm {
		copy(p.X[i*p.D:(i+1)*p.D], data.X[src*data.D:(src+1)*data.D])
		p.Y[i] = data.Y[src]
	}
	for name, params := range propertyParams {
		t.Run(name, func(t *testing.T) {
			params.Tol, params.MaxIter = 1e-10, 1000
			a, b := mustFit(t, data, params, nil), mustFit(t, p, params, nil)
			if !scalar.EqualWithinAbsOrRel(a.Objective, b.Objective, 0, 1e-12) {
				t.Errorf("objective %.15g, permuted %.15g", a.Objective, b.Objective)
			}
			if params.Penalty == NoPenalty {
				return // the optimum is flat in some directions
			}
			for j := range a.Coef {
				if !scalar.EqualWithinAbsOrRel(a.Coef[j], b.Coef[j], 1e-6, 1e-6) {
					t.Errorf("coef[%d] = %v, permuted %v", j, a.Coef[j], b.Coef[j])
				}
			}
		})
	}
}

// TestSubsetEqualsCopy checks that fitting a subset view gives the same
// bits as fitting a copy of those rows.
func TestSubsetEqualsCopy(t *testing.T) {
	data := loadData(t, "weighted")
	var rows []int32
	for i := range data.N {
		if i%5 != 2 {
			rows = append(rows, int32(i))
		}
	}
	fold, err := data.Subset(rows)
	if err != nil {
		t.Fatal(err)
	}
	cp := &Data{N: len(rows), D: data.D, Weight: []float64{}}
	for _, r := range rows {
		cp.X = append(cp.X, data.X[int(r)*data.D:int(r+1)*data.D]...)
		cp.Y = append(cp.Y, data.Y[r])
		cp.Weight = append(cp.Weight, data.Weight[r])
	}
	for name, params := range propertyParams {
		a, b := mustFit(t, fold, params, nil), mustFit(t, cp, params, nil)
		if !sameBits(a, b) {
			t.Errorf("%s: subset objective %.17g, copy %.17g", name, a.Objective, b.Objective)
		}
	}
}

// TestStandardizeMatchesCopy compares a standardised fit with a fit on an
// explicitly standardised copy of X.
func TestStandardizeMatchesCopy(t *testing.T) {
	data := loadData(t, "scaled")
	params := DefaultParams()
	params.Tol = 1e-8
	params.Standardize = true
	a := mustFit(t, data, params, nil)
	cp := *data
	cp.X = make([]float32, len(data.X))
	for i := range data.N {
		for j := range data.D {
			cp.X[i*data.D+j] = float32((float64(data.X[i*data.D+j]) - a.Scaling.Mean[j]) / a.Scaling.Scale[j])
		}
	}
	params.Standardize = false
	b := mustFit(t, &cp, params, nil)
	if !scalar.EqualWithinAbsOrRel(a.Objective, b.Objective, 0, 1e-6) {
		t.Errorf("objective %.12g, on a standardised copy %.12g", a.Objective, b.Objective)
	}
	for j := range a.Coef {
		if !scalar.EqualWithinAbsOrRel(a.Coef[j], b.Coef[j], 1e-4, 1e-4) {
			t.Errorf("coef[%d] = %v, on a standardised copy %v", j, a.Coef[j], b.Coef[j])
		}
	}
}

// TestWarmStart fits a path of C values, each from the previous solution,
// and checks it reaches the cold-start optimum in fewer passes.
// It always uses the full propertyData (a quarter of a second): on the
// 3000 rows of -short, the l2 path is too easy for warm starts to pay.
func TestWarmStart(t *testing.T) {
	data := synthData(synth.Config{N: propertyRows, Dim: 24, Rank: 4, Seed: 11})
	for _, pen := range []Penalty{L2, L1} {
		params := DefaultParams()
		params.Penalty = pen
		var prev *Result
		warmPasses, coldPasses := 0, 0
		for _, c := range []float64{0.5, 1, 2, 4} {
			params.C = c
			cold := mustFit(t, data, params, nil)
			s := &Settings{}
			if prev != nil {
				s.InitCoef, s.InitIntercept = prev.Coef, prev.Intercept
			}
			warm := mustFit(t, data, params, s)
			if !scalar.EqualWithinAbsOrRel(warm.Objective, cold.Objective, 0, 1e-7) {
				t.Errorf("%s C=%v: warm objective %.12g, cold %.12g", pen, c, warm.Objective, cold.Objective)
			}
			if prev != nil {
				warmPasses += warm.Evaluations
				coldPasses += cold.Evaluations
			}
			prev = warm
		}
		t.Logf("%s: %d passes warm, %d cold", pen, warmPasses, coldPasses)
		if warmPasses >= coldPasses {
			t.Errorf("%s: warm starts took %d passes, cold %d", pen, warmPasses, coldPasses)
		}
	}
}

// TestScalingReuse: a standardised fit given the scaling of an earlier fit
// on the same rows gives the same bits as one that computes it.
func TestScalingReuse(t *testing.T) {
	data := propertyData(t)
	params := propertyParams["standardize-balanced"]
	a := mustFit(t, data, params, nil)
	b := mustFit(t, data, params, &Settings{Scaling: a.Scaling})
	if !sameBits(a, b) {
		t.Errorf("objective %.17g, with the scaling given %.17g", a.Objective, b.Objective)
	}
}

func TestIterationLimitIsReported(t *testing.T) {
	data := propertyData(t)
	for name, params := range propertyParams {
		params.MaxIter = 2
		res := mustFit(t, data, params, nil)
		if res.Converged || res.Status != IterationLimit || res.Iterations != 2 {
			t.Errorf("%s: converged %v, status %v after %d iterations; want the iteration limit after 2", name, res.Converged, res.Status, res.Iterations)
		}
	}
}

func TestCancel(t *testing.T) {
	data := propertyData(t)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, err := Fit(ctx, data, DefaultParams(), &Settings{Progress: func(Progress) {
		calls++
		cancel()
	}})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("err %v after %d iterations, want context.Canceled after 1", err, calls)
	}
}

// TestBadInput checks that bad data and parameters are errors that say
// what is wrong, never panics.
func TestBadInput(t *testing.T) {
	good := func() *Data {
		return &Data{X: []float32{0, 1, 1, 0, 2, 2, -1, 3}, N: 4, D: 2, Y: []float64{0, 1, 0, 1}}
	}
	cases := []struct {
		name   string
		change func(d *Data, p *Params, s *Settings)
		want   string
	}{
		{"one class", func(d *Data, _ *Params, _ *Settings) { d.Y = []float64{1, 1, 1, 1} }, "all 4 rows have label 1"},
		{"one class after subsetting", func(d *Data, _ *Params, _ *Settings) { d.Rows = []int32{0, 2} }, "all 2 rows have label 0"},
		{"label 2", func(d *Data, _ *Params, _ *Settings) { d.Y[2] = 2 }, "row 2: label 2 is not 0 or 1"},
		{"NaN feature", func(d *Data, _ *Params, _ *Settings) { d.X[5] = float32(math.NaN()) }, "row 2, feature 1: value NaN is not finite"},
		{"Inf feature", func(d *Data, _ *Params, _ *Settings) { d.X[0] = float32(math.Inf(-1)) }, "row 0, feature 0: value -Inf"},
		{"NaN feature standardised", func(d *Data, p *Params, _ *Settings) { d.X[3] = float32(math.NaN()); p.Standardize = true }, "row 1, feature 1"},
		{"NaN weight", func(d *Data, _ *Params, _ *Settings) { d.Weight = []float64{1, math.NaN(), 1, 1} }, "row 1: sample weight NaN"},
		{"negative weight", func(d *Data, _ *Params, _ *Settings) { d.Weight = []float64{1, 1, -1, 1} }, "row 2: sample weight -1"},
		{"zero weight class", func(d *Data, _ *Params, _ *Settings) { d.Weight = []float64{0, 1, 0, 1} }, "class 0 have zero total sample weight"},
		{"short X", func(d *Data, _ *Params, _ *Settings) { d.X = d.X[:7] }, "X has 7 values, want N×D = 4×2"},
		{"short Y", func(d *Data, _ *Params, _ *Settings) { d.Y = d.Y[:3] }, "Y has 3 labels"},
		{"short weights", func(d *Data, _ *Params, _ *Settings) { d.Weight = []float64{1} }, "Weight has 1 values"},
		{"no rows", func(d *Data, _ *Params, _ *Settings) { d.Rows = []int32{} }, "no rows to train on"},
		{"no data", func(d *Data, _ *Params, _ *Settings) { *d = Data{} }, "at least one feature"},
		{"row out of range", func(d *Data, _ *Params, _ *Settings) { d.Rows = []int32{0, 4} }, "Rows[1] = 4 is out of range"},
		{"C zero", func(_ *Data, p *Params, _ *Settings) { p.C = 0 }, "C = 0: C must be a finite number > 0"},
		{"unknown penalty", func(_ *Data, p *Params, _ *Settings) { p.Penalty = "l3" }, `unknown penalty "l3"`},
		{"l1_ratio without elasticnet", func(_ *Data, p *Params, _ *Settings) { p.L1Ratio = 0.5 }, `l1_ratio = 0.5 is only used with penalty "elasticnet"`},
		{"l1_ratio out of range", func(_ *Data, p *Params, _ *Settings) { p.Penalty, p.L1Ratio = ElasticNet, 1.5 }, "between 0 and 1"},
		{"max_iter", func(_ *Data, p *Params, _ *Settings) { p.MaxIter = 0 }, "max_iter = 0"},
		{"tol", func(_ *Data, p *Params, _ *Settings) { p.Tol = -1 }, "tol = -1"},
		{"zero class weight", func(_ *Data, p *Params, _ *Settings) { p.ClassWeight = ClassWeight{Kind: Explicit, Positive: 1} }, "gives a class zero weight"},
		{"init length", func(_ *Data, _ *Params, s *Settings) { s.InitCoef = []float64{1} }, "InitCoef has 1 coefficients"},
		{"init NaN", func(_ *Data, _ *Params, s *Settings) { s.InitIntercept = math.NaN() }, "non-finite value NaN"},
		{"objective tol", func(_ *Data, _ *Params, s *Settings) { s.ObjectiveTol = -1e-9 }, "ObjectiveTol is -1e-09"},
		{"scaling without standardize", func(_ *Data, _ *Params, s *Settings) {
			s.Scaling = &Scaling{Mean: []float64{0, 0}, Scale: []float64{1, 1}}
		}, "Standardize is false"},
		{"scaling zero", func(_ *Data, p *Params, s *Settings) {
			p.Standardize = true
			s.Scaling = &Scaling{Mean: []float64{0, 0}, Scale: []float64{1, 0}}
		}, "feature 1: mean 0, scale 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, p, s := good(), DefaultParams(), &Settings{}
			c.change(d, &p, s)
			res, err := Fit(context.Background(), d, p, s)
			if err == nil {
				t.Fatalf("no error; objective %v", res.Objective)
			}
			if !strings.HasPrefix(err.Error(), "logreg: ") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
	if _, err := Fit(context.Background(), nil, DefaultParams(), nil); err == nil {
		t.Error("nil data: no error")
	}
	d := good()
	d.X[5] = float32(math.NaN())
	if err := d.Check(); err == nil || !strings.Contains(err.Error(), "row 2, feature 1") {
		t.Errorf("Check: %v", err)
	}
	if _, err := d.Subset([]int32{0, 9}); err == nil {
		t.Error("Subset out of range: no error")
	}
}

// TestAllZeroFeatures: with every feature zero the l2 optimum has w = 0
// and the intercept at the log-odds of the classes.
func TestAllZeroFeatures(t *testing.T) {
	d := &Data{X: make([]float32, 5*3), N: 5, D: 3, Y: []float64{1, 0, 0, 1, 0}}
	params := DefaultParams()
	params.Tol = 1e-10
	res := mustFit(t, d, params, nil)
	if !slices.Equal(res.Coef, []float64{0, 0, 0}) {
		t.Errorf("coef %v, want zeros", res.Coef)
	}
	if want := math.Log(2.0 / 3); !scalar.EqualWithinAbsOrRel(res.Intercept, want, 1e-6, 1e-6) {
		t.Errorf("intercept %v, want %v", res.Intercept, want)
	}
}

// TestSubsetOfSubset: Subset indexes the set's own rows, so a subset of a
// subset picks rows of the original through both lists.
func TestSubsetOfSubset(t *testing.T) {
	data := &Data{X: make([]float32, 10), N: 10, D: 1, Y: make([]float64, 10)}
	outer, err := data.Subset([]int32{9, 7, 5, 3, 1})
	if err != nil {
		t.Fatal(err)
	}
	inner, err := outer.Subset([]int32{4, 0, 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int32{1, 9, 5}; !slices.Equal(inner.Rows, want) || inner.Len() != 3 {
		t.Fatalf("rows %v, want %v", inner.Rows, want)
	}
	if _, err := outer.Subset([]int32{5}); err == nil {
		t.Fatal("row 5 of a 5-row subset: no error")
	}
}

// TestCurvatureAlongPath fits an l2 path of C values, each from the
// previous solution, with and without the previous fit's curvature
// pairs: the pairs reach the same optimum in fewer passes.
func TestCurvatureAlongPath(t *testing.T) {
	data := propertyData(t)
	params := DefaultParams()
	params.Tol = 1e-6
	var plain, seeded *Result
	plainPasses, seededPasses := 0, 0
	for _, c := range []float64{0.1, 1, 10, 100} {
		params.C = c
		sp, ss := &Settings{}, &Settings{}
		if plain != nil {
			sp.InitCoef, sp.InitIntercept = plain.Coef, plain.Intercept
			ss.InitCoef, ss.InitIntercept, ss.Curvature = seeded.Coef, seeded.Intercept, seeded.Curvature
		}
		plain, seeded = mustFit(t, data, params, sp), mustFit(t, data, params, ss)
		if !scalar.EqualWithinAbsOrRel(seeded.Objective, plain.Objective, 0, 1e-8) {
			t.Errorf("C=%v: objective %.12g with the previous curvature, %.12g without", c, seeded.Objective, plain.Objective)
		}
		if c > 0.1 {
			plainPasses += plain.Evaluations
			seededPasses += seeded.Evaluations
		}
	}
	t.Logf("%d passes with the previous curvature, %d without", seededPasses, plainPasses)
	if seededPasses >= plainPasses {
		t.Errorf("the previous curvature took %d passes, without it %d", seededPasses, plainPasses)
	}
}

// TestCurvatureMismatch refuses the curvature of a fit on other rows or
// with other class weights.
func TestCurvatureMismatch(t *testing.T) {
	data := propertyData(t)
	res := mustFit(t, data, DefaultParams(), nil)
	half, err := data.Subset([]int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Fit(context.Background(), half, DefaultParams(), &Settings{Curvature: res.Curvature}); err == nil {
		t.Error("the curvature of a fit on other rows was accepted")
	}
	balanced := DefaultParams()
	balanced.ClassWeight = ClassWeight{Kind: Balanced}
	if _, err := Fit(context.Background(), data, balanced, &Settings{Curvature: res.Curvature}); err == nil {
		t.Error("the curvature of a fit with other class weights was accepted")
	}
}

// TestObjectiveTol fits with the default objective test and with a
// looser one (as a cross-validation asks for): the looser fit stops no
// later, at an objective within its tolerance of the tighter one's.
func TestObjectiveTol(t *testing.T) {
	data := propertyData(t)
	params := DefaultParams()
	params.C = 10
	tight := mustFit(t, data, params, nil)
	loose := mustFit(t, data, params, &Settings{ObjectiveTol: 1e-5})
	if loose.Evaluations > tight.Evaluations {
		t.Errorf("ObjectiveTol 1e-5: %d passes, default %d", loose.Evaluations, tight.Evaluations)
	}
	if rel := (loose.Objective - tight.Objective) / tight.Objective; rel < 0 && -rel > 1e-12 || rel > 1e-4 {
		t.Errorf("ObjectiveTol 1e-5: objective %.12g, default %.12g (relative %+.3g)", loose.Objective, tight.Objective, rel)
	}
	t.Logf("passes: %d default, %d at ObjectiveTol 1e-5", tight.Evaluations, loose.Evaluations)
}
