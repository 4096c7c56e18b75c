package metrics

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

// referenceCase is one case of testdata/reference.json, made by
// testdata/make_reference.py with scikit-learn 1.2.1.
type referenceCase struct {
	Name    string    `json:"name"`
	Note    string    `json:"note"`
	Labels  []float64 `json:"labels"`
	Scores  []float64 `json:"scores"`
	Weights []float64 `json:"weights"`

	AtHalf           referenceCut `json:"at_half"`
	LogLoss          float64      `json:"log_loss"`
	ROCAUC           float64      `json:"roc_auc"`
	AveragePrecision float64      `json:"average_precision"`
	PRCurveAUC       float64      `json:"pr_curve_auc"`
	ROCCurve         struct {
		FPR        []float64 `json:"fpr"`
		TPR        []float64 `json:"tpr"`
		Thresholds []float64 `json:"thresholds"`
	} `json:"roc_curve"`
	PRCurve struct {
		Precision  []float64 `json:"precision"`
		Recall     []float64 `json:"recall"`
		Thresholds []float64 `json:"thresholds"`
	} `json:"pr_curve"`
	MaxF1 referenceCut `json:"max_f1"`
}

// referenceCut holds scikit-learn's metrics of the cut "score > threshold".
type referenceCut struct {
	Score     float64 `json:"score"` // max_f1 only
	Threshold float64 `json:"threshold"`
	TN        float64 `json:"tn"`
	FP        float64 `json:"fp"`
	FN        float64 `json:"fn"`
	TP        float64 `json:"tp"`
	Accuracy  float64 `json:"accuracy"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

func (c referenceCase) data() Data {
	return Data{Labels: c.Labels, Scores: c.Scores, Weights: c.Weights}
}

func loadReference(t testing.TB) []referenceCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Sklearn string          `json:"sklearn"`
		Cases   []referenceCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if ref.Sklearn != "1.2.1" {
		t.Fatalf("reference made with scikit-learn %s, want 1.2.1", ref.Sklearn)
	}
	if len(ref.Cases) == 0 {
		t.Fatal("no reference cases")
	}
	return ref.Cases
}

// tol is the agreement the package promises with scikit-learn.
const tol = 1e-9

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if !scalar.EqualWithinAbsOrRel(got, want, tol, tol) {
		t.Errorf("%s = %.17g, scikit-learn %.17g (diff %.3g)", what, got, want, got-want)
	}
}

func nearSlice(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s has %d points, scikit-learn %d", what, len(got), len(want))
		return
	}
	for i := range got {
		if !scalar.EqualWithinAbsOrRel(got[i], want[i], tol, tol) {
			t.Errorf("%s[%d] = %.17g, scikit-learn %.17g", what, i, got[i], want[i])
			return
		}
	}
}

func nearCut(t *testing.T, what string, c Confusion, want referenceCut) {
	t.Helper()
	near(t, what+" tn", c.TN, want.TN)
	near(t, what+" fp", c.FP, want.FP)
	near(t, what+" fn", c.FN, want.FN)
	near(t, what+" tp", c.TP, want.TP)
	near(t, what+" accuracy", c.Accuracy(), want.Accuracy)
	near(t, what+" precision", c.Precision(), want.Precision)
	near(t, what+" recall", c.Recall(), want.Recall)
	near(t, what+" f1", c.F1(), want.F1)
}

// TestReference checks every function against scikit-learn.
func TestReference(t *testing.T) {
	for _, c := range loadReference(t) {
		t.Run(c.Name, func(t *testing.T) {
			d := c.data()

			cm, err := ConfusionAt(d, 0.5)
			if err != nil {
				t.Fatal(err)
			}
			nearCut(t, "ConfusionAt(0.5)", cm, c.AtHalf)

			ll, err := LogLoss(d)
			if err != nil {
				t.Fatal(err)
			}
			near(t, "LogLoss", ll, c.LogLoss)

			auc, err := ROCAUC(d)
			if err != nil {
				t.Fatal(err)
			}
			near(t, "ROCAUC", auc, c.ROCAUC)

			ap, err := AveragePrecision(d)
			if err != nil {
				t.Fatal(err)
			}
			near(t, "AveragePrecision", ap, c.AveragePrecision)

			tpr, err := TrapezoidPRAUC(d)
			if err != nil {
				t.Fatal(err)
			}
			near(t, "TrapezoidPRAUC", tpr, c.PRCurveAUC)

			roc, err := ROC(d)
			if err != nil {
				t.Fatal(err)
			}
			nearSlice(t, "ROC.FPR", roc.FPR, c.ROCCurve.FPR)
			nearSlice(t, "ROC.TPR", roc.TPR, c.ROCCurve.TPR)
			nearSlice(t, "ROC.Thresholds", roc.Thresholds, c.ROCCurve.Thresholds)

			pr, err := PrecisionRecall(d)
			if err != nil {
				t.Fatal(err)
			}
			nearSlice(t, "PR.Precision", pr.Precision, c.PRCurve.Precision)
			nearSlice(t, "PR.Recall", pr.Recall, c.PRCurve.Recall)
			nearSlice(t, "PR.Thresholds", pr.Thresholds, c.PRCurve.Thresholds)

			best, err := MaxF1(d)
			if err != nil {
				t.Fatal(err)
			}
			if best.Score != c.MaxF1.Score || best.Threshold != c.MaxF1.Threshold {
				t.Errorf("MaxF1 = score %v threshold %v, reference score %v threshold %v",
					best.Score, best.Threshold, c.MaxF1.Score, c.MaxF1.Threshold)
			}
			near(t, "MaxF1.F1", best.F1, c.MaxF1.F1)
			cm, err = ConfusionAt(d, best.Threshold)
			if err != nil {
				t.Fatal(err)
			}
			nearCut(t, "ConfusionAt(max_f1)", cm, c.MaxF1)
		})
	}
}

// TestReferenceReport checks that Evaluate, which sorts once, gives the
// same numbers as the functions one by one, with both threshold rules.
func TestReferenceReport(t *testing.T) {
	for _, c := range loadReference(t) {
		for _, s := range []*Settings{nil, {MaxF1: true}} {
			t.Run(fmt.Sprintf("%s/maxf1=%v", c.Name, s != nil), func(t *testing.T) {
				r, err := Evaluate(c.data(), s)
				if err != nil {
					t.Fatal(err)
				}
				cut := c.AtHalf
				wantRule := RuleFixed
				if s != nil {
					cut = c.MaxF1
					wantRule = RuleMaxF1
				}
				if r.ThresholdRule != wantRule || r.Threshold != cut.Threshold {
					t.Errorf("threshold %s %v, want %s %v", r.ThresholdRule, r.Threshold, wantRule, cut.Threshold)
				}
				nearCut(t, "Report", r.Confusion, cut)
				near(t, "Report.Accuracy", r.Accuracy, cut.Accuracy)
				near(t, "Report.Precision", r.Precision, cut.Precision)
				near(t, "Report.Recall", r.Recall, cut.Recall)
				near(t, "Report.F1", r.F1, cut.F1)
				near(t, "Report.LogLoss", r.LogLoss, c.LogLoss)
				near(t, "Report.ROCAUC", r.ROCAUC, c.ROCAUC)
				near(t, "Report.PRAUC", r.PRAUC, c.AveragePrecision)
				near(t, "Report.TrapezoidPRAUC", r.TrapezoidPRAUC, c.PRCurveAUC)
				if r.MaxF1.Score != c.MaxF1.Score {
					t.Errorf("Report.MaxF1.Score = %v, want %v", r.MaxF1.Score, c.MaxF1.Score)
				}
				nearSlice(t, "Report.ROC.FPR", r.ROC.FPR, c.ROCCurve.FPR)
				nearSlice(t, "Report.ROC.TPR", r.ROC.TPR, c.ROCCurve.TPR)
				nearSlice(t, "Report.ROC.Thresholds", r.ROC.Thresholds, c.ROCCurve.Thresholds)
				nearSlice(t, "Report.PR.Precision", r.PR.Precision, c.PRCurve.Precision)
				nearSlice(t, "Report.PR.Recall", r.PR.Recall, c.PRCurve.Recall)
				nearSlice(t, "Report.PR.Thresholds", r.PR.Thresholds, c.PRCurve.Thresholds)
				if r.Rows != len(c.Labels) || r.Weighted != (c.Weights != nil) || r.DistinctScores != len(c.PRCurve.Thresholds) {
					t.Errorf("rows %d weighted %v distinct %d", r.Rows, r.Weighted, r.DistinctScores)
				}
				near(t, "Report.Positives", r.Positives, cut.TP+cut.FN)
				near(t, "Report.Negatives", r.Negatives, cut.TN+cut.FP)
			})
		}
	}
}
