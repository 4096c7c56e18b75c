package logreg

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/pipe-ml/pipe/steps/shared/npz"
)

// The reference cases are scikit-learn 1.2.1's solutions on small data
// sets, made by testdata/make_reference.py and committed with it.

type referenceFile struct {
	Sklearn string          `json:"sklearn"`
	Cases   []referenceCase `json:"cases"`
}

type referenceCase struct {
	Data    string `json:"data"`
	Params  Params `json:"params"`
	Unique  bool   `json:"unique"`
	Optimum struct {
		Solver       string    `json:"solver"`
		Coef         []float64 `json:"coef"`
		Intercept    float64   `json:"intercept"`
		Objective    float64   `json:"objective"`
		Labels       string    `json:"labels"`
		ProbHead     []float64 `json:"prob_head"`
		MinAbsMargin float64   `json:"min_abs_margin"`
	} `json:"optimum"`
	Default struct {
		Objective float64 `json:"objective"`
	} `json:"default"`
}

func (c referenceCase) String() string {
	p := c.Params
	s := fmt.Sprintf("%s/%s/C=%g", c.Data, p.Penalty, p.C)
	if p.Penalty == ElasticNet {
		s += fmt.Sprintf("/l1_ratio=%g", p.L1Ratio)
	}
	if p.ClassWeight.Kind != Unweighted {
		s += "/class_weight=" + p.ClassWeight.String()
	}
	if !p.FitIntercept {
		s += "/no_intercept"
	}
	if p.Standardize {
		s += "/standardize"
	}
	return s
}

func loadReference(t testing.TB) referenceFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref referenceFile
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// loadData reads testdata/NAME.npz.
func loadData(t testing.TB, name string) *Data {
	t.Helper()
	arrays, err := npz.Read(filepath.Join("testdata", name+".npz"))
	if err != nil {
		t.Fatal(err)
	}
	x, y := arrays["X"], arrays["y"]
	d := &Data{X: x.F32, N: x.Shape[0], D: x.Shape[1], Y: y.F64}
	if w, ok := arrays["w"]; ok {
		d.Weight = w.F64
	}
	return d
}

// TestReference fits every reference case three times: at a tight
// tolerance, where the objective must be no worse than scikit-learn's
// best (within 1e-6 relative), the predicted labels must agree and, where
// the problem is strictly convex, the coefficients too; and at
// scikit-learn's default tolerance and iteration limit, plain and
// preconditioned (Settings.Precondition, as the train step fits), where
// the objective must be no worse than what scikit-learn's default solver
// reaches there.
func TestReference(t *testing.T) {
	ref := loadReference(t)
	data := map[string]*Data{}
	for _, c := range ref.Cases {
		t.Run(c.String(), func(t *testing.T) {
			d, ok := data[c.Data]
			if !ok {
				d = loadData(t, c.Data)
				data[c.Data] = d
			}

			tight := c.Params
			tight.Tol, tight.MaxIter = 1e-10, 10000
			res, err := Fit(context.Background(), d, tight, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := c.Optimum.Objective
			if rel := (res.Objective - want) / math.Abs(want); rel > 1e-6 {
				t.Errorf("objective %.12g, scikit-learn (%s) %.12g: worse by %.3g relative", res.Objective, c.Optimum.Solver, want, rel)
			} else {
				t.Logf("objective %.12g, scikit-learn (%s) %.12g: relative difference %+.3g; %d iterations, %v", res.Objective, c.Optimum.Solver, want, rel, res.Iterations, res.Status)
			}
			if c.Params.Penalty != NoPenalty && !res.Converged {
				t.Errorf("did not converge: %v after %d iterations", res.Status, res.Iterations)
			}

			// Predicted labels.
			disagree := 0
			for p := range d.N {
				z := dot(d.X[p*d.D:(p+1)*d.D], res.rawCoef()) + res.rawIntercept()
				label := byte('0')
				if z > 0 {
					label = '1'
				}
				if label != c.Optimum.Labels[p] {
					disagree++
					if math.Abs(z) > 1e-6 {
						t.Errorf("row %d: label %c with margin %.3g; scikit-learn says %c", p, label, z, c.Optimum.Labels[p])
					}
				}
			}
			if disagree > 0 {
				t.Logf("%d labels differ, all on margins below 1e-6", disagree)
			}

			// Coefficients, where they are unique.
			if c.Unique {
				scale := 1.0
				for _, v := range c.Optimum.Coef {
					scale = max(scale, math.Abs(v))
				}
				for j, v := range c.Optimum.Coef {
					if math.Abs(res.Coef[j]-v) > 1e-4*scale {
						t.Errorf("coef[%d] = %.9g, scikit-learn %.9g", j, res.Coef[j], v)
					}
				}
				if math.Abs(res.Intercept-c.Optimum.Intercept) > 1e-4*scale {
					t.Errorf("intercept = %.9g, scikit-learn %.9g", res.Intercept, c.Optimum.Intercept)
				}
			}

			// At scikit-learn's defaults.
			def, err := Fit(context.Background(), d, c.Params, nil)
			if err != nil {
				t.Fatal(err)
			}
			want = c.Default.Objective
			if rel := (def.Objective - want) / math.Abs(want); rel > 1e-6 {
				t.Errorf("at default tol: objective %.12g, scikit-learn %.12g: worse by %.3g relative", def.Objective, want, rel)
			}
			// Preconditioned, as the train step fits.
			pre, err := Fit(context.Background(), d, c.Params, &Settings{Precondition: true})
			if err != nil {
				t.Fatal(err)
			}
			if rel := (pre.Objective - want) / math.Abs(want); rel > 1e-6 {
				t.Errorf("preconditioned, at default tol: objective %.12g, scikit-learn %.12g: worse by %.3g relative", pre.Objective, want, rel)
			}
		})
	}
}
