package search

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/pipe-ml/pipe/steps/shared/metrics"
)

// Metric is the score a search ranks its trials by, measured on each
// fold's held-out rows.
type Metric string

// The metrics a search can rank by, with scikit-learn's scorer semantics:
// F1 and Accuracy score the predicted class (class 1 when the margin
// w·x + b is > 0, as LogisticRegression.predict), ROCAUC and PRAUC rank
// the rows by their margin (as scikit-learn's scorers use
// decision_function), LogLoss scores the predicted probability σ(w·x + b).
// PRAUC is the average precision (scikit-learn's average_precision_score).
// Each is computed by steps/shared/metrics, which matches scikit-learn 1.2.1.
const (
	F1       Metric = "f1"
	Accuracy Metric = "accuracy"
	ROCAUC   Metric = "roc_auc"
	LogLoss  Metric = "log_loss"
	PRAUC    Metric = "pr_auc"
)

// Metrics lists every metric, in documentation order.
var Metrics = []Metric{F1, Accuracy, ROCAUC, LogLoss, PRAUC}

// Valid reports whether m is one of [Metrics].
func (m Metric) Valid() bool { return slices.Contains(Metrics, m) }

// LowerIsBetter is true for LogLoss, the one loss among the metrics.
func (m Metric) LowerIsBetter() bool { return m == LogLoss }

// better reports whether score a beats score b.
func (m Metric) better(a, b float64) bool {
	if m.LowerIsBetter() {
		return a < b
	}
	return a > b
}

// metricNames returns the metric names quoted and joined, for messages.
func metricNames() string {
	q := make([]string, len(Metrics))
	for i, m := range Metrics {
		q[i] = fmt.Sprintf("%q", string(m))
	}
	return strings.Join(q, ", ")
}

// score returns the metric of the margins z of rows with the given labels
// and weights (nil: every row weighs 1).
func (m Metric) score(labels, weights, z []float64) (float64, error) {
	d := metrics.Data{Labels: labels, Scores: z, Weights: weights}
	switch m {
	case F1, Accuracy:
		c, err := metrics.ConfusionAt(d, 0)
		if err != nil {
			return 0, err
		}
		if m == F1 {
			return c.F1(), nil
		}
		return c.Accuracy(), nil
	case ROCAUC:
		return metrics.ROCAUC(d)
	case PRAUC:
		return metrics.AveragePrecision(d)
	case LogLoss:
		p := make([]float64, len(z))
		for i, v := range z {
			p[i] = sigmoid(v)
		}
		d.Scores = p
		return metrics.LogLoss(d)
	}
	return 0, fmt.Errorf("search: unknown metric %q", string(m))
}

// sigmoid is 1/(1 + e⁻ᶻ), computed without overflow.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}
