package train

import (
	"math"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/lrconfig"
	"github.com/pipe-ml/pipe/steps/shared/media"
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
func (Kind) Version() string { return "train/3" }

var schema = &steps.Schema{
	Description: "Fits binary logistic regression to a dataset and stores the model.",
	Attributes: []steps.Attribute{
		{Name: "data", Type: steps.ArtifactType, Required: true, Accepts: []steps.Media{media.Dataset},
			Description: "The training dataset: a load step's train or data output."},
		{Name: "params", Type: cty.DynamicPseudoType,
			Description: `Hyperparameters, any subset of { C, penalty, l1_ratio, class_weight, max_iter, tol, fit_intercept, standardize }, e.g. search.lr.best; scikit-learn's defaults otherwise.`},
		{Name: "seed", Type: cty.Number, Number: &steps.Number{Whole: true, Min: cty.Zero, Max: cty.NumberUIntVal(math.MaxUint64)},
			Description: "Seeds any randomness in training; the current solvers use none."},
		{Name: "parallelism", Type: cty.Number, NotKeyed: true, Number: &steps.Number{Whole: true, Min: cty.NumberIntVal(1), Max: cty.NumberIntVal(1 << 16)},
			Description: "Goroutines per pass over the data; default the step's share of -parallelism. Never changes the model."},
	},
	Outputs: []steps.Output{
		{Name: "model", Type: steps.ArtifactType, Media: []steps.Media{media.Model}, Description: "The trained model (JSON)."},
		{Name: "objective", Type: cty.Number, Description: "scikit-learn's primal objective at the coefficients found."},
		{Name: "iterations", Type: cty.Number, Description: "Solver iterations."},
		{Name: "converged", Type: cty.Bool, Description: "Whether the fit converged within max_iter."},
		{Name: "status", Type: cty.String, Description: "Why the solver stopped."},
	},
}

// Schema returns the train block's attributes and outputs.
func (Kind) Schema() *steps.Schema { return schema }

// Validate checks params, skipping what is not known yet; the schema's
// constraints cover the rest.
func (Kind) Validate(cfg cty.Value) []*steps.AttrError {
	return lrconfig.Validate(cfg.GetAttr("params"), steps.AttrPath("params"))
}

// config is a train block's configuration.
type config struct {
	params      cty.Value
	seed        uint64
	parallelism int // 0: the Env's
}

// parseConfig reads cfg, which is wholly known and meets the schema's
// constraints.
func parseConfig(cfg cty.Value) *config {
	c := &config{params: cfg.GetAttr("params")}
	if v := cfg.GetAttr("seed"); !v.IsNull() {
		c.seed, _ = v.AsBigFloat().Uint64()
	}
	if v := cfg.GetAttr("parallelism"); !v.IsNull() {
		n, _ := v.AsBigFloat().Int64()
		c.parallelism = int(n)
	}
	return c
}
