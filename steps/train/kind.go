package train

import (
	"math/big"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/lrconfig"
)

// Kind is the train step kind. The zero value is ready to use.
type Kind struct{}

var (
	_ steps.Kind      = Kind{}
	_ steps.Validator = Kind{}
)

// Name returns "train".
func (Kind) Name() string { return "train" }

// Version changes whenever the same data and configuration could give
// another model.
func (Kind) Version() string { return "train/2" }

var schema = &steps.Schema{
	Description: "Fits binary logistic regression to a dataset and stores the model.",
	Attributes: []steps.Attribute{
		{Name: "data", Type: steps.ArtifactType, Required: true,
			Description: "The training dataset: a load step's train or data output."},
		{Name: "params", Type: cty.DynamicPseudoType,
			Description: `Hyperparameters, any subset of { C, penalty, l1_ratio, class_weight, max_iter, tol, fit_intercept, standardize }, e.g. search.lr.best; scikit-learn's defaults otherwise.`},
		{Name: "seed", Type: cty.Number,
			Description: "A whole number >= 0 for any randomness in training; the current solvers use none."},
		{Name: "parallelism", Type: cty.Number, NotKeyed: true,
			Description: "Goroutines per pass over the data; default the step's share of -parallelism. Never changes the model."},
	},
	Outputs: []steps.Output{
		{Name: "model", Type: steps.ArtifactType, Description: "The trained model (JSON)."},
		{Name: "objective", Type: cty.Number, Description: "scikit-learn's primal objective at the coefficients found."},
		{Name: "iterations", Type: cty.Number, Description: "Solver iterations."},
		{Name: "converged", Type: cty.Bool, Description: "Whether the fit converged within max_iter."},
		{Name: "status", Type: cty.String, Description: "Why the solver stopped."},
	},
}

// Schema returns the train block's attributes and outputs.
func (Kind) Schema() *steps.Schema { return schema }

// Validate checks params, seed, parallelism and the data artifact's media
// type, skipping what is not known yet.
func (Kind) Validate(cfg cty.Value) []*steps.AttrError {
	_, errs := parseConfig(cfg, true)
	return errs
}

// config is a train block's configuration, checked.
type config struct {
	params      cty.Value
	seed        uint64
	parallelism int // 0: the Env's
}

// parseConfig checks cfg. With partial set (plan time) unknown values are
// skipped.
func parseConfig(cfg cty.Value, partial bool) (*config, []*steps.AttrError) {
	c := &config{params: cfg.GetAttr("params")}
	var errs []*steps.AttrError
	if partial {
		errs = append(errs, lrconfig.Validate(c.params, steps.AttrPath("params"))...)
	}
	if v := cfg.GetAttr("data"); v.IsWhollyKnown() && !v.IsNull() {
		if mt := v.GetAttr("media_type").AsString(); mt != steps.MediaDataset {
			errs = append(errs, steps.Errorf(steps.AttrPath("data"), "Not a dataset",
				"data is a %s artifact, not a dataset; give a load step's train or data output.", mt))
		}
	}
	if v := cfg.GetAttr("seed"); v.IsKnown() && !v.IsNull() {
		bf := v.AsBigFloat()
		u, acc := bf.Uint64()
		if !bf.IsInt() || acc != big.Exact || bf.Sign() < 0 {
			errs = append(errs, steps.Errorf(steps.AttrPath("seed"), "Invalid seed",
				"seed must be a whole number >= 0, not %s.", bf.Text('g', -1)))
		}
		c.seed = u
	}
	if v := cfg.GetAttr("parallelism"); v.IsKnown() && !v.IsNull() {
		n, err := steps.IntValue(v, steps.AttrPath("parallelism"))
		switch {
		case err != nil:
			errs = append(errs, err.(*steps.AttrError))
		case n < 1:
			errs = append(errs, steps.Errorf(steps.AttrPath("parallelism"), "Invalid parallelism",
				"parallelism must be at least 1, not %d; leave it out to use the step's share of -parallelism.", n))
		default:
			c.parallelism = n
		}
	}
	return c, errs
}
