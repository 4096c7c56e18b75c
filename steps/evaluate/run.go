package evaluate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/dataset"
	"github.com/pipe-ml/pipe/steps/logreg"
	"github.com/pipe-ml/pipe/steps/metrics"
)

// Run scores the model on the data and stores the plot and the report.
// See the package documentation.
func (Kind) Run(ctx context.Context, env steps.Env, in *steps.Inputs) (steps.Outputs, error) {
	if errs := (Kind{}).Validate(in.Config); len(errs) > 0 {
		return nil, errs[0]
	}
	threshold, maxF1, _ := parseThreshold(in.Attr("threshold"))
	modelArt, err := in.Artifact("model")
	if err != nil {
		return nil, err
	}
	dataArt, err := in.Artifact("data")
	if err != nil {
		return nil, err
	}
	m, err := readModel(ctx, env, modelArt)
	if err != nil {
		return nil, err
	}
	ds, err := dataset.Open(ctx, env, dataArt)
	if err != nil {
		return nil, fmt.Errorf("evaluate: reading the data: %w", err)
	}
	scores, err := predict(m, ds)
	if err != nil {
		return nil, err
	}
	r, err := metrics.Evaluate(metrics.Data{Labels: ds.LabelsFloat64(), Scores: scores, Weights: ds.W},
		&metrics.Settings{Threshold: threshold, MaxF1: maxF1, CurveStep: CurveStep})
	if err != nil {
		return nil, dataError(err, ds)
	}

	plot, err := env.PutArtifact(ctx, steps.MediaPNG, func(w io.Writer) error { return metrics.WritePNG(w, r, nil) })
	if err != nil {
		return nil, fmt.Errorf("evaluate: storing the plot: %w", err)
	}
	rep := newReport(r, m, modelArt.Digest, ds, dataArt.Digest, ArtifactInfo{Digest: plot.Digest, MediaType: plot.MediaType})
	if err := rep.finite(); err != nil {
		return nil, err
	}
	b, err := rep.encode()
	if err != nil {
		return nil, err
	}
	report, err := env.PutArtifact(ctx, steps.MediaReport, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("evaluate: storing the report: %w", err)
	}
	env.Logger().Info("evaluated", "rows", ds.N, "threshold", rep.Threshold, "f1", rep.Metrics.F1,
		"accuracy", rep.Metrics.Accuracy, "roc_auc", rep.Metrics.ROCAUC)

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

// readModel reads and decodes a model artifact.
func readModel(ctx context.Context, env steps.Env, a steps.Artifact) (*logreg.Model, error) {
	b, err := env.ReadArtifact(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("evaluate: reading the model: %w", err)
	}
	m, err := logreg.DecodeModel(bytes.NewReader(b))
	if err != nil {
		return nil, steps.Errorf(steps.AttrPath("model"), "Unreadable model",
			"%s. Give a train step's model output.", strings.TrimPrefix(err.Error(), "logreg: "))
	}
	return m, nil
}

// predict returns the model's probabilities for the rows of ds, refusing
// data of another width than the model's.
func predict(m *logreg.Model, ds *dataset.Dataset) ([]float64, error) {
	if ds.Dim != m.Features.Dim {
		return nil, steps.Errorf(steps.AttrPath("data"), "Feature width mismatch",
			"The model expects %d features per row (%s) but the data has %d (%s). Evaluate the model on data loaded with the same features as its training data.",
			m.Features.Dim, describe(m.Features.Source, m.Features.Dim), ds.Dim, describe(ds.Meta.Features, ds.Dim))
	}
	p, err := m.PredictProba(ds.X, ds.N, ds.Dim)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	return p, nil
}

func describe(source string, dim int) string {
	if source != "" {
		return source
	}
	return fmt.Sprintf("dim %d", dim)
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
