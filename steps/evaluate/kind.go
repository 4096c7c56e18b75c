package evaluate

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/media"
)

// Kind is the evaluate step kind. The zero value is ready to use.
type Kind struct{}

var (
	_ steps.Kind      = Kind{}
	_ steps.Validator = Kind{}
)

// Name returns "evaluate".
func (Kind) Name() string { return "evaluate" }

// Version changes whenever the same model, data and threshold could give
// another report.
func (Kind) Version() string { return "evaluate/1" }

// ThresholdMaxF1 is the threshold attribute's value that chooses the
// threshold of maximum F1 on the data.
const ThresholdMaxF1 = "max_f1"

// ConfusionType is the type of the confusion output.
var ConfusionType = cty.Object(map[string]cty.Type{
	"tp": cty.Number, "fp": cty.Number, "tn": cty.Number, "fn": cty.Number,
})

var schema = &steps.Schema{
	Description: "Scores a model on a dataset: F1, accuracy, ROC AUC and more, a report with the ROC and precision-recall curves, and a plot of them.",
	Attributes: []steps.Attribute{
		{Name: "model", Type: steps.ArtifactType, Required: true, Accepts: []steps.Media{media.Model},
			Description: "The model: a train step's model output."},
		{Name: "data", Type: steps.ArtifactType, Required: true, Accepts: []steps.Media{media.Dataset},
			Description: "The evaluation dataset, e.g. a load step's test output."},
		{Name: "threshold", Type: cty.DynamicPseudoType, Default: cty.NumberFloatVal(0.5), Number: fraction,
			Description: `Class 1 when the probability is above it: a number between 0 and 1 (default 0.5), or "max_f1" to choose the one of maximum F1 on these data.`},
	},
	Outputs: []steps.Output{
		{Name: "f1", Type: cty.Number, Description: "F1 score at the threshold."},
		{Name: "accuracy", Type: cty.Number, Description: "Accuracy at the threshold."},
		{Name: "roc_auc", Type: cty.Number, Description: "Area under the ROC curve."},
		{Name: "precision", Type: cty.Number, Description: "Precision at the threshold."},
		{Name: "recall", Type: cty.Number, Description: "Recall at the threshold."},
		{Name: "log_loss", Type: cty.Number, Description: "Mean log loss (cross-entropy) of the probabilities."},
		{Name: "pr_auc", Type: cty.Number, Description: "Area under the precision-recall curve (average precision)."},
		{Name: "threshold", Type: cty.Number, Description: "The threshold used: class 1 when the probability is above it."},
		{Name: "confusion", Type: ConfusionType, Description: "The confusion matrix at the threshold: { tp, fp, tn, fn }."},
		{Name: "rows", Type: cty.Number, Description: "Rows scored."},
		{Name: "report", Type: steps.ArtifactType, Media: []steps.Media{media.Report},
			Description: "Every metric, the curves and the plot's digest (JSON, pipe.report/v1)."},
		{Name: "plot", Type: steps.ArtifactType, Media: []steps.Media{media.Plot},
			Description: "The ROC and precision-recall curves (PNG)."},
	},
}

// Schema returns the evaluate block's attributes and outputs.
func (Kind) Schema() *steps.Schema { return schema }

// fraction is a number strictly between 0 and 1.
var fraction = &steps.Number{Min: cty.Zero, Max: cty.NumberIntVal(1), MinExclusive: true, MaxExclusive: true}

// Validate checks that the threshold is a number or "max_f1", when it is
// known; the schema's constraints cover the rest (a number's range, the
// artifacts' media types).
func (Kind) Validate(cfg cty.Value) []*steps.AttrError {
	if _, _, err := parseThreshold(cfg.GetAttr("threshold")); err != nil {
		return []*steps.AttrError{err}
	}
	return nil
}

// parseThreshold reads the threshold attribute: a number, or "max_f1"
// (maxF1 true). An unknown or null value gives 0.5 and no error. The
// engine has checked a number's range (the schema's constraint).
func parseThreshold(v cty.Value) (t float64, maxF1 bool, err *steps.AttrError) {
	v, _ = v.UnmarkDeep()
	path := steps.AttrPath("threshold")
	if !v.IsWhollyKnown() || v.IsNull() {
		return 0.5, false, nil
	}
	switch v.Type() {
	case cty.String:
		if s := v.AsString(); s != ThresholdMaxF1 {
			return 0, false, steps.Errorf(path, "Invalid threshold",
				`threshold must be a number between 0 and 1 or "max_f1", not %q.`, s)
		}
		return 0, true, nil
	case cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return f, false, nil
	}
	return 0, false, steps.Errorf(path, "Invalid threshold",
		`threshold must be a number between 0 and 1 or "max_f1", not %s.`, fmt.Sprint(v.Type().FriendlyName()))
}
