package metrics

import (
	"fmt"
	"math"
)

// Threshold rules, the values of [Report.ThresholdRule].
const (
	// RuleFixed: the threshold was given in [Settings.Threshold].
	RuleFixed = "fixed"
	// RuleMaxF1: the threshold was chosen by [MaxF1].
	RuleMaxF1 = "max_f1"
)

// ReportFormat is the version of the [Report] layout, bumped whenever a
// field changes meaning or goes away.
const ReportFormat = 1

// Settings choose the threshold of a [Report]. A nil *Settings means
// [DefaultSettings]. The zero Settings is the threshold 0 (every row with
// a score above 0 is class 1), not the default.
type Settings struct {
	// Threshold: a row is predicted class 1 when its score is > Threshold.
	// It is ignored when MaxF1 is set. It must be finite.
	Threshold float64
	// MaxF1 chooses the threshold on the data by [MaxF1] instead.
	MaxF1 bool
	// CurveStep, when > 0, thins the curves kept in the report: a point
	// is kept only if it moves at least CurveStep (in FPR or TPR, recall
	// or precision) from the last point kept; the first and last points
	// (and the PR curve's last point with a threshold) always stay. The
	// points kept are scikit-learn's, unchanged, and every area is
	// computed from the whole curves first. 0 keeps every point: one per
	// distinct score, so up to one per row, about 7 MB of JSON for 100,000
	// rows with continuous scores; 0.001 keeps at most a few thousand. It
	// must be finite and not negative.
	CurveStep float64
}

// DefaultSettings returns the threshold 0.5, which reproduces
// scikit-learn's LogisticRegression.predict.
func DefaultSettings() *Settings { return &Settings{Threshold: 0.5} }

// Report holds every metric of a binary classifier on one dataset. It is
// what the evaluate step publishes, so its JSON encoding
// (encoding/json.Marshal) is deterministic: fields in the order below,
// floats in the shortest form that reads back to the same float64, and no
// NaN or Inf anywhere (a Report is only made from data on which every
// metric is defined).
type Report struct {
	// Format is ReportFormat.
	Format int `json:"format"`
	// Rows is the number of rows, weight zero included.
	Rows int `json:"rows"`
	// Weighted is true when sample weights were given.
	Weighted bool `json:"weighted"`
	// Positives and Negatives are the weights of the rows of class 1 and
	// 0 (their counts without weights).
	Positives float64 `json:"positives"`
	Negatives float64 `json:"negatives"`
	// DistinctScores is the number of distinct scores among rows of
	// non-zero weight: the number of cuts the curves are made of.
	DistinctScores int `json:"distinct_scores"`

	// ThresholdRule is RuleFixed or RuleMaxF1, and Threshold the threshold
	// it gave: class 1 when score > Threshold.
	ThresholdRule string  `json:"threshold_rule"`
	Threshold     float64 `json:"threshold"`
	// Confusion and the four metrics after it are those of Threshold,
	// taken from the sorted sums (with fractional weights they may differ
	// from [ConfusionAt]'s row-order sums in the last bits).
	Confusion Confusion `json:"confusion"`
	Accuracy  float64   `json:"accuracy"`
	Precision float64   `json:"precision"`
	Recall    float64   `json:"recall"`
	F1        float64   `json:"f1"`

	// LogLoss, ROCAUC, PRAUC (= [AveragePrecision]) and TrapezoidPRAUC do
	// not depend on the threshold.
	LogLoss        float64 `json:"log_loss"`
	ROCAUC         float64 `json:"roc_auc"`
	PRAUC          float64 `json:"pr_auc"`
	TrapezoidPRAUC float64 `json:"pr_auc_trapezoid"`
	// MaxF1 is the cut of maximum F1 on these data, whatever the rule.
	MaxF1 Cut `json:"max_f1"`

	// ROC and PR are the curves of [ROC] and [PrecisionRecall], whole
	// unless [Settings.CurveStep] thinned them.
	ROC ROCCurve `json:"roc"`
	PR  PRCurve  `json:"pr"`
}

// Evaluate computes the [Report] of d, sorting the rows once. Scores must
// be probabilities in [0, 1] and both classes must have non-zero weight;
// otherwise it returns a [*DataError] (wrapping [ErrOneClass] for one
// class, since ROC AUC is then undefined: scikit-learn raises too).
//
// Cost: a radix sort and a few passes over the rows, O(n) time and
// memory; on 100,000 rows a few tens of milliseconds.
func Evaluate(d Data, s *Settings) (*Report, error) {
	if s == nil {
		s = DefaultSettings()
	}
	if !s.MaxF1 && (math.IsNaN(s.Threshold) || math.IsInf(s.Threshold, 0)) {
		return nil, dataErrorf(ErrThreshold, "", -1, "threshold %v is not a finite number", s.Threshold)
	}
	if math.IsNaN(s.CurveStep) || math.IsInf(s.CurveStep, 0) || s.CurveStep < 0 {
		return nil, fmt.Errorf("metrics: curve step %v: %w; use 0 to keep every point, or a small step such as 0.001", s.CurveStep, ErrSettings)
	}
	if err := d.check(true); err != nil {
		return nil, err
	}
	r := rank(d)
	if err := r.needBoth("a report"); err != nil {
		return nil, err
	}
	rep := &Report{
		Format:         ReportFormat,
		Rows:           len(d.Labels),
		Weighted:       d.Weights != nil,
		Positives:      r.positives(),
		Negatives:      r.negatives(),
		DistinctScores: len(r.thresholds),
		ThresholdRule:  RuleFixed,
		Threshold:      s.Threshold,
		LogLoss:        logLoss(d),
		MaxF1:          r.maxF1(),
		ROC:            *r.roc(),
		PR:             *r.pr(),
	}
	if s.MaxF1 {
		rep.ThresholdRule = RuleMaxF1
		rep.Threshold = rep.MaxF1.Threshold
	}
	rep.Confusion = r.confusion(rep.Threshold)
	rep.Accuracy = rep.Confusion.Accuracy()
	rep.Precision = rep.Confusion.Precision()
	rep.Recall = rep.Confusion.Recall()
	rep.F1 = rep.Confusion.F1()
	rep.ROCAUC = trapezoid(rep.ROC.FPR, rep.ROC.TPR)
	rep.PRAUC = rep.PR.averagePrecision()
	rep.TrapezoidPRAUC = trapezoid(rep.PR.Recall, rep.PR.Precision)
	if s.CurveStep > 0 {
		rep.ROC = rep.ROC.thinned(s.CurveStep)
		rep.PR = rep.PR.thinned(s.CurveStep)
	}
	return rep, nil
}
