package search

import (
	"math"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/media"
)

// Kind is the search step kind. The zero value is ready to use.
type Kind struct{}

var (
	_ steps.Kind      = Kind{}
	_ steps.Validator = Kind{}
)

// Name returns "search".
func (Kind) Name() string { return "search" }

// Version changes whenever the same data and configuration could give
// other trials or another best.
func (Kind) Version() string { return "search/2" }

var schema = &steps.Schema{
	Description: "Tunes logistic regression hyperparameters by grid or random search with stratified k-fold cross-validation.",
	Attributes: []steps.Attribute{
		{Name: "data", Type: steps.ArtifactType, Required: true, Accepts: []steps.Media{media.Dataset},
			Description: "The dataset to cross-validate on: a load step's train or data output."},
		{Name: "strategy", Type: cty.String, Default: cty.StringVal(Grid),
			Description: `"grid" tries every combination of the listed values; "random" draws trials from the space.`},
		{Name: "space", Type: cty.DynamicPseudoType, Required: true,
			Description: `The parameters to search: { C = loguniform(1e-3, 1e2), penalty = ["l2", "l1"], class_weight = ["none", "balanced"] }, values as lists, single values or (random only) uniform/loguniform distributions; a list of such objects is a union of grids.`},
		{Name: "trials", Type: cty.Number, Number: wholeNumber(1, maxTrials),
			Description: "How many trials a random search draws (default 10); not for grid."},
		{Name: "folds", Type: cty.Number, Default: cty.NumberIntVal(defaultFolds), Number: wholeNumber(2, maxFolds),
			Description: "The number of stratified cross-validation folds."},
		{Name: "metric", Type: cty.String, Default: cty.StringVal(string(F1)),
			Description: `What chooses the best trial, measured on held-out folds: "f1", "accuracy", "roc_auc", "log_loss" (lower is better) or "pr_auc" (average precision).`},
		{Name: "seed", Type: cty.Number, Default: cty.NumberIntVal(0),
			Number:      &steps.Number{Whole: true, Min: cty.Zero, Max: cty.NumberUIntVal(math.MaxUint64)},
			Description: "Seeds the fold assignment and the random draws."},
		{Name: "parallelism", Type: cty.Number, NotKeyed: true, Number: wholeNumber(1, 1<<16),
			Description: "At most this many goroutines (default: the step's share of -parallelism). Never changes the result."},
	},
	Outputs: []steps.Output{
		{Name: "best", Type: cty.DynamicPseudoType,
			Description: "The best trial's parameters, every key in canonical form: what train takes as params."},
		{Name: "best_score", Type: cty.Number, Description: "The best trial's mean score over the folds."},
		{Name: "best_std", Type: cty.Number, Description: "The standard deviation of the best trial's fold scores."},
		{Name: "trials", Type: steps.ArtifactType, Media: []steps.Media{media.Trials},
			Description: "Every trial's parameters, fold scores, mean, standard deviation, rank and fit statistics (JSON)."},
		{Name: "n_trials", Type: cty.Number, Description: "The number of trials run."},
	},
}

// Schema returns the search block's attributes and outputs.
func (Kind) Schema() *steps.Schema { return schema }

// wholeNumber admits the whole numbers from min to max.
func wholeNumber(min, max int64) *steps.Number {
	return &steps.Number{Whole: true, Min: cty.NumberIntVal(min), Max: cty.NumberIntVal(max)}
}

// Validate checks the configuration beyond its types and the schema's
// constraints, skipping what is not known yet: the strategy, the metric,
// that trials come with a random search, every value and distribution in
// the space, and that l1_ratio comes with elasticnet.
// Whether the data has enough rows of each class for the folds is checked
// when the step runs.
func (Kind) Validate(cfg cty.Value) []*steps.AttrError {
	_, errs := parseConfig(cfg, true)
	return errs
}
