package logreg

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// Penalty names the regularisation term of the objective; see [Params].
type Penalty string

// The penalties, spelled as in scikit-learn.
const (
	L2         Penalty = "l2"
	L1         Penalty = "l1"
	ElasticNet Penalty = "elasticnet"
	NoPenalty  Penalty = "none"
)

// Params are the hyperparameters of a fit, named and defaulted as in
// scikit-learn 1.2.1's LogisticRegression. Start from [DefaultParams]:
// the zero value is not valid (C must be positive).
//
// With margins zᵢ = w·xᵢ + b, labels yᵢ ∈ {0, 1}, the log-loss
// ℓ(y, z) = log(1 + eᶻ) − y·z and per-row weights sᵢ (the sample weight
// times the weight of the row's class), a fit minimises
//
//	l2:          ½‖w‖²                      + C·Σᵢ sᵢ·ℓ(yᵢ, zᵢ)
//	l1:          ‖w‖₁                       + C·Σᵢ sᵢ·ℓ(yᵢ, zᵢ)
//	elasticnet:  ½(1−ρ)‖w‖² + ρ‖w‖₁         + C·Σᵢ sᵢ·ℓ(yᵢ, zᵢ)
//	none:                                      Σᵢ sᵢ·ℓ(yᵢ, zᵢ)
//
// with ρ = L1Ratio. The intercept b is never penalised. These are
// scikit-learn's objectives for lbfgs (l2, none), saga and liblinear (l1)
// and saga (elasticnet), up to the constant factors those solvers apply.
type Params struct {
	// Penalty is L2, L1, ElasticNet or NoPenalty. Default L2.
	Penalty Penalty `json:"penalty"`
	// C is the inverse regularisation strength, > 0. Default 1. It is
	// ignored with NoPenalty.
	C float64 `json:"C"`
	// L1Ratio is ρ in [0, 1], the share of the L1 term; only for
	// ElasticNet, and must be 0 otherwise.
	L1Ratio float64 `json:"l1_ratio"`
	// ClassWeight weighs the two classes. Default: both weigh 1.
	ClassWeight ClassWeight `json:"class_weight"`
	// FitIntercept adds the unpenalised intercept b. Default true.
	FitIntercept bool `json:"fit_intercept"`
	// MaxIter bounds the number of iterations, >= 1. Default 100.
	MaxIter int `json:"max_iter"`
	// Tol, >= 0, stops the fit when every component of the gradient (for
	// l1 and elasticnet, of the minimum-norm subgradient) of the objective
	// divided by C is at most Tol in absolute value: the same test, in the
	// same units, as scikit-learn's lbfgs solver. It also scales the
	// relative decrease below which an iteration ends the fit (2.2e-6·Tol).
	// Default 1e-4. See [Fit].
	Tol float64 `json:"tol"`
	// Standardize fits on features centred and scaled to unit variance
	// over the training rows (as scikit-learn's StandardScaler would,
	// without copying X); coefficients and penalty then refer to the
	// standardised features. Default false.
	Standardize bool `json:"standardize"`
}

// DefaultParams returns scikit-learn's defaults: l2, C = 1, no class
// weights, an intercept, 100 iterations, tol = 1e-4, no standardisation.
func DefaultParams() Params {
	return Params{Penalty: L2, C: 1, FitIntercept: true, MaxIter: 100, Tol: 1e-4}
}

// Validate reports the first problem with p, in words that say how to fix
// it.
func (p Params) Validate() error {
	switch p.Penalty {
	case L2, L1, ElasticNet, NoPenalty:
	case "":
		return fmt.Errorf(`logreg: penalty is not set: use "l2", "l1", "elasticnet" or "none" (start from DefaultParams)`)
	default:
		return fmt.Errorf(`logreg: unknown penalty %q: use "l2", "l1", "elasticnet" or "none"`, string(p.Penalty))
	}
	if !(p.C > 0) || math.IsInf(p.C, 0) {
		return fmt.Errorf("logreg: C = %v: C must be a finite number > 0 (it is the inverse of the regularisation strength)", p.C)
	}
	if p.Penalty == ElasticNet {
		if !(p.L1Ratio >= 0 && p.L1Ratio <= 1) {
			return fmt.Errorf("logreg: l1_ratio = %v: it must be between 0 and 1", p.L1Ratio)
		}
	} else if p.L1Ratio != 0 {
		return fmt.Errorf(`logreg: l1_ratio = %v is only used with penalty "elasticnet" (penalty is %q): remove it or set penalty = "elasticnet"`, p.L1Ratio, string(p.Penalty))
	}
	if err := p.ClassWeight.validate(); err != nil {
		return err
	}
	if p.MaxIter < 1 {
		return fmt.Errorf("logreg: max_iter = %d: it must be at least 1", p.MaxIter)
	}
	if !(p.Tol >= 0) || math.IsInf(p.Tol, 0) {
		return fmt.Errorf("logreg: tol = %v: it must be a finite number >= 0", p.Tol)
	}
	return nil
}

// l1Ratio returns ρ, the share of the penalty that is L1, or -1 for
// NoPenalty.
func (p Params) l1Ratio() float64 {
	switch p.Penalty {
	case L1:
		return 1
	case ElasticNet:
		return p.L1Ratio
	case NoPenalty:
		return -1
	}
	return 0
}

// ClassWeightKind says how the classes are weighed; see [ClassWeight].
type ClassWeightKind int

const (
	// Unweighted weighs both classes 1 (scikit-learn's class_weight=None).
	Unweighted ClassWeightKind = iota
	// Balanced weighs class c by n / (2·nᶜ), where n is the number of
	// training rows and nᶜ the number of them in class c, regardless of
	// sample weights (scikit-learn's class_weight="balanced").
	Balanced
	// Explicit weighs class 0 by Negative and class 1 by Positive
	// (scikit-learn's class_weight={0: Negative, 1: Positive}).
	Explicit
)

// ClassWeight weighs the rows of each class; the weight multiplies the
// sample weight. The zero value is Unweighted. In JSON it is "none",
// "balanced" or {"0": Negative, "1": Positive}.
type ClassWeight struct {
	Kind ClassWeightKind
	// Negative and Positive are the weights of classes 0 and 1 when Kind
	// is Explicit: finite, >= 0, and zero otherwise.
	Negative, Positive float64
}

// ParseClassWeight reads "none" or "balanced".
func ParseClassWeight(s string) (ClassWeight, error) {
	switch s {
	case "none":
		return ClassWeight{}, nil
	case "balanced":
		return ClassWeight{Kind: Balanced}, nil
	}
	return ClassWeight{}, fmt.Errorf(`logreg: unknown class_weight %q: use "none", "balanced" or a map of the two classes' weights`, s)
}

// String returns "none", "balanced" or "{0: a, 1: b}".
func (c ClassWeight) String() string {
	switch c.Kind {
	case Unweighted:
		return "none"
	case Balanced:
		return "balanced"
	case Explicit:
		return fmt.Sprintf("{0: %v, 1: %v}", c.Negative, c.Positive)
	}
	return fmt.Sprintf("ClassWeightKind(%d)", int(c.Kind))
}

func (c ClassWeight) validate() error {
	switch c.Kind {
	case Unweighted, Balanced:
		if c.Negative != 0 || c.Positive != 0 {
			return fmt.Errorf("logreg: class_weight %s takes no per-class weights (got %v and %v): use Kind Explicit to give them", c, c.Negative, c.Positive)
		}
	case Explicit:
		for _, w := range []float64{c.Negative, c.Positive} {
			if !(w >= 0) || math.IsInf(w, 0) {
				return fmt.Errorf("logreg: class_weight %s: each class weight must be a finite number >= 0", c)
			}
		}
	default:
		return fmt.Errorf("logreg: unknown class weight kind %d", int(c.Kind))
	}
	return nil
}

// weights returns the weights of classes 0 and 1 for a set with count[c]
// rows of class c.
func (c ClassWeight) weights(count [2]int) [2]float64 {
	switch c.Kind {
	case Balanced:
		n := float64(count[0] + count[1])
		return [2]float64{n / (2 * float64(count[0])), n / (2 * float64(count[1]))}
	case Explicit:
		return [2]float64{c.Negative, c.Positive}
	}
	return [2]float64{1, 1}
}

// MarshalJSON encodes c as "none", "balanced" or {"0": a, "1": b}.
func (c ClassWeight) MarshalJSON() ([]byte, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	if c.Kind != Explicit {
		return json.Marshal(c.String())
	}
	var b bytes.Buffer
	b.WriteString(`{"0":`)
	b.WriteString(formatFloat(c.Negative))
	b.WriteString(`,"1":`)
	b.WriteString(formatFloat(c.Positive))
	b.WriteString(`}`)
	return b.Bytes(), nil
}

// UnmarshalJSON decodes what MarshalJSON encodes.
func (c *ClassWeight) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := ParseClassWeight(s)
		if err != nil {
			return err
		}
		*c = v
		return nil
	}
	var m map[string]float64
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf(`logreg: class_weight must be "none", "balanced" or {"0": weight, "1": weight}: %v`, err)
	}
	v := ClassWeight{Kind: Explicit, Negative: 1, Positive: 1}
	for k, w := range m {
		switch k {
		case "0":
			v.Negative = w
		case "1":
			v.Positive = w
		default:
			return fmt.Errorf(`logreg: class_weight has class %q: the classes are "0" and "1"`, k)
		}
	}
	if err := v.validate(); err != nil {
		return err
	}
	*c = v
	return nil
}

// formatFloat formats f in the shortest form that reads back to the same
// float64, as encoding/json does.
func formatFloat(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}
