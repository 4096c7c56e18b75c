package evaluate

import (
	"encoding/json"
	"fmt"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/media"
)

var _ steps.Summarizer = Kind{}

// PlotTitle says what the plot shows, for people.
const PlotTitle = "ROC and precision-recall curves"

// Summarize summarises a report (media.Report) for people, for pipe
// serve's page: its metrics in the report's order and the threshold, the
// ROC curve (true against false positive rate) and the precision-recall
// curve (precision against recall), and its plot, by digest. Other media
// types, the plot's included, it does not describe.
func (Kind) Summarize(mediaType string, content []byte) (*steps.Summary, error) {
	if mediaType != media.Report.Type {
		return nil, nil
	}
	var r Report
	if err := json.Unmarshal(content, &r); err != nil {
		return nil, fmt.Errorf("evaluate: the report is not JSON: %w", err)
	}
	if r.Format != ReportFormat {
		return nil, fmt.Errorf("evaluate: the report's format is %q, not %q", r.Format, ReportFormat)
	}
	m := r.Metrics
	s := &steps.Summary{
		Metrics: []steps.Metric{
			{Name: "f1", Value: m.F1}, {Name: "accuracy", Value: m.Accuracy}, {Name: "roc_auc", Value: m.ROCAUC},
			{Name: "precision", Value: m.Precision}, {Name: "recall", Value: m.Recall},
			{Name: "log_loss", Value: m.LogLoss}, {Name: "pr_auc", Value: m.PRAUC},
			{Name: "threshold", Value: r.Threshold},
		},
		Curves: []steps.Curve{
			curve("roc", "ROC curve", "false positive rate", "true positive rate", r.Curves.ROC.FPR, r.Curves.ROC.TPR),
			curve("pr", "Precision-recall curve", "recall", "precision", r.Curves.PR.Recall, r.Curves.PR.Precision),
		},
	}
	if r.Plot.Digest != "" {
		s.Images = []steps.Image{{Title: PlotTitle, Digest: r.Plot.Digest, MediaType: r.Plot.MediaType}}
	}
	return s, nil
}

// curve pairs xs with ys (as far as both go).
func curve(name, title, x, y string, xs, ys []float64) steps.Curve {
	c := steps.Curve{Name: name, Title: title, X: x, Y: y, Points: make([]steps.Point, min(len(xs), len(ys)))}
	for i := range c.Points {
		c.Points[i] = steps.Point{X: xs[i], Y: ys[i]}
	}
	return c
}
