package evaluate

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/pipe-ml/pipe/steps/shared/dataset"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
	"github.com/pipe-ml/pipe/steps/shared/metrics"
)

// ReportFormat is the value of the report's "format" key.
const ReportFormat = "pipe.report/v1"

// CurveStep is how far apart, in either coordinate, the points kept in
// the report's curves are (metrics.Settings.CurveStep).
const CurveStep = 0.001

// Report is the JSON document of the report artifact; the package
// documentation shows it. Fields are encoded in the order below, floats
// in the shortest form that reads back exactly, so the same evaluation
// gives the same bytes.
type Report struct {
	Format        string       `json:"format"`
	Model         ModelInfo    `json:"model"`
	Data          DataInfo     `json:"data"`
	Threshold     float64      `json:"threshold"`
	ThresholdRule string       `json:"threshold_rule"`
	Metrics       Metrics      `json:"metrics"`
	Confusion     Confusion    `json:"confusion"`
	MaxF1         metrics.Cut  `json:"max_f1"`
	Curves        Curves       `json:"curves"`
	Plot          ArtifactInfo `json:"plot"`
}

// ModelInfo identifies the model evaluated.
type ModelInfo struct {
	Digest       string        `json:"digest"`
	Dim          int           `json:"dim"`
	TrainingData string        `json:"training_data"`
	Params       logreg.Params `json:"params"`
}

// DataInfo identifies the data evaluated on. Positives counts the rows
// of class 1; Positive is the source label value of class 1.
type DataInfo struct {
	Digest    string `json:"digest"`
	Rows      int    `json:"rows"`
	Positives int    `json:"positives"`
	Weighted  bool   `json:"weighted"`
	Positive  string `json:"positive,omitempty"`
	Features  string `json:"features,omitempty"`
}

// Metrics are the scalar metrics, numbers only.
type Metrics struct {
	F1        float64 `json:"f1"`
	Accuracy  float64 `json:"accuracy"`
	ROCAUC    float64 `json:"roc_auc"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	LogLoss   float64 `json:"log_loss"`
	PRAUC     float64 `json:"pr_auc"`
}

// Confusion is the confusion matrix at the threshold.
type Confusion struct {
	TP float64 `json:"tp"`
	FP float64 `json:"fp"`
	TN float64 `json:"tn"`
	FN float64 `json:"fn"`
}

// Curves are the ROC and precision-recall curves, thinned by Step.
type Curves struct {
	Step float64          `json:"step"`
	ROC  metrics.ROCCurve `json:"roc"`
	PR   metrics.PRCurve  `json:"pr"`
}

// ArtifactInfo names another artifact.
type ArtifactInfo struct {
	Digest    string `json:"digest"`
	MediaType string `json:"media_type"`
}

// newReport assembles the report of r, computed on ds (digest dataDigest)
// with model m (digest modelDigest); plot is the PNG's artifact.
func newReport(r *metrics.Report, m *logreg.Model, modelDigest string, ds *dataset.Dataset, dataDigest string, plot ArtifactInfo) *Report {
	return &Report{
		Format: ReportFormat,
		Model:  ModelInfo{Digest: modelDigest, Dim: m.Features.Dim, TrainingData: m.TrainingData, Params: m.Params},
		Data: DataInfo{Digest: dataDigest, Rows: ds.N, Positives: ds.Positives(), Weighted: ds.W != nil,
			Positive: ds.Meta.Positive, Features: ds.Meta.Features},
		Threshold:     r.Threshold,
		ThresholdRule: r.ThresholdRule,
		Metrics: Metrics{F1: r.F1, Accuracy: r.Accuracy, ROCAUC: r.ROCAUC, Precision: r.Precision,
			Recall: r.Recall, LogLoss: r.LogLoss, PRAUC: r.PRAUC},
		Confusion: Confusion{TP: r.Confusion.TP, FP: r.Confusion.FP, TN: r.Confusion.TN, FN: r.Confusion.FN},
		MaxF1:     r.MaxF1,
		Curves:    Curves{Step: CurveStep, ROC: r.ROC, PR: r.PR},
		Plot:      plot,
	}
}

// finite returns an error naming the first metric that is not a finite
// number: metrics never returns one, but a NaN must never be published.
func (r *Report) finite() error {
	for _, m := range []struct {
		name string
		v    float64
	}{
		{"f1", r.Metrics.F1}, {"accuracy", r.Metrics.Accuracy}, {"roc_auc", r.Metrics.ROCAUC},
		{"precision", r.Metrics.Precision}, {"recall", r.Metrics.Recall}, {"log_loss", r.Metrics.LogLoss},
		{"pr_auc", r.Metrics.PRAUC}, {"threshold", r.Threshold},
	} {
		if math.IsNaN(m.v) || math.IsInf(m.v, 0) {
			return fmt.Errorf("evaluate: %s is %v; refusing to publish a metric that is not a number", m.name, m.v)
		}
	}
	return nil
}

// encode returns the report as indented JSON and a newline.
func (r *Report) encode() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("evaluate: encoding the report: %w", err)
	}
	return append(b, '\n'), nil
}
