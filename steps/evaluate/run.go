package evaluate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/dataset"
	"github.com/pipe-ml/pipe/steps/shared/fault"
	"github.com/pipe-ml/pipe/steps/shared/media"
	"github.com/pipe-ml/pipe/steps/shared/metrics"
	"github.com/pipe-ml/pipe/steps/shared/scoring"
)

// Run scores the model on the data and stores the plot and the report.
// See the package documentation.
func (Kind) Run(ctx context.Context, env steps.Env, in *steps.Inputs) (_ steps.Outputs, err error) {
	defer fault.Guard(&err)() // the data is read in place: a fault on it is an error
	if errs := (Kind{}).Validate(in.Config); len(errs) > 0 {
		return nil, errs[0]
	}
	threshold, maxF1, _ := parseThreshold(in.Attr("threshold"))
	sc, err := scoring.Score(ctx, env, in, "evaluate",
		"Evaluate the model on data loaded with the same features as its training data.")
	if err != nil {
		return nil, err
	}
	m, ds, scores := sc.Model, sc.Data, sc.Prob
	start := time.Now()
	r, err := metrics.Evaluate(metrics.Data{Labels: ds.LabelsFloat64(), Scores: scores, Weights: ds.W},
		&metrics.Settings{Threshold: threshold, MaxF1: maxF1, CurveStep: CurveStep})
	if err != nil {
		return nil, dataError(err, ds)
	}
	metricsTime := time.Since(start)

	start = time.Now()
	plot, err := env.PutArtifact(ctx, media.Plot.Type, func(w io.Writer) error { return metrics.WritePNG(w, r, nil) })
	if err != nil {
		return nil, fmt.Errorf("evaluate: storing the plot: %w", err)
	}
	plotTime := time.Since(start)
	rep := newReport(r, m, sc.ModelArtifact.Digest, ds, sc.DataArtifact.Digest, ArtifactInfo{Digest: plot.Digest, MediaType: plot.MediaType})
	if err := rep.finite(); err != nil {
		return nil, err
	}
	b, err := rep.encode()
	if err != nil {
		return nil, err
	}
	report, err := env.PutArtifact(ctx, media.Report.Type, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("evaluate: storing the report: %w", err)
	}
	env.Logger().Info("evaluated", "rows", ds.N, "threshold", rep.Threshold, "f1", rep.Metrics.F1,
		"accuracy", rep.Metrics.Accuracy, "roc_auc", rep.Metrics.ROCAUC,
		"score_seconds", sc.Duration.Seconds(), "metrics_seconds", metricsTime.Seconds(), "plot_seconds", plotTime.Seconds())

	num := cty.NumberFloatVal
	c := rep.Confusion
	return steps.Outputs{
		"f1":        num(rep.Metrics.F1),
		"accuracy":  num(rep.Metrics.Accuracy),
		"roc_auc":   num(rep.Metrics.ROCAUC),
		"precision": num(rep.Metrics.Precision),
		"recall":    num(rep.Metrics.Recall),
		"log_loss":  num(rep.Metrics.LogLoss),
		"pr_auc":    num(rep.Metrics.PRAUC),
		"threshold": num(rep.Threshold),
		"confusion": cty.ObjectVal(map[string]cty.Value{"tp": num(c.TP), "fp": num(c.FP), "tn": num(c.TN), "fn": num(c.FN)}),
		"rows":      cty.NumberIntVal(int64(ds.N)),
		"report":    report.Value(),
		"plot":      plot.Value(),
	}, nil
}

// dataError explains why the data cannot be scored.
func dataError(err error, ds *dataset.Dataset) error {
	var de *metrics.DataError
	if !errors.As(err, &de) {
		return fmt.Errorf("evaluate: %w", err)
	}
	if errors.Is(err, metrics.ErrOneClass) {
		pos := ds.Positives()
		detail := fmt.Sprintf("The evaluation data has %d rows of class 1 and %d of class 0", pos, ds.N-pos)
		if ds.W != nil {
			detail += " (counting rows of non-zero weight only, one class is missing)"
		}
		detail += ": ROC AUC, average precision and F1 need both classes, and scikit-learn refuses too. Evaluate on data that holds both classes, e.g. a stratified split (split = { test = 0.2, stratify = true })."
		return steps.Errorf(steps.AttrPath("data"), "Only one class", "%s", detail)
	}
	return steps.Errorf(steps.AttrPath("data"), "Cannot score this data", "%s.", strings.TrimPrefix(de.Error(), "metrics: "))
}
