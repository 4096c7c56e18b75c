package metrics_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"

	"github.com/pipe-ml/pipe/steps/shared/metrics"
)

// The data of scikit-learn's own examples for roc_auc_score and
// precision_recall_curve.
var example = metrics.Data{
	Labels: []float64{0, 0, 1, 1},
	Scores: []float64{0.1, 0.4, 0.35, 0.8},
}

func ExampleROCAUC() {
	auc, err := metrics.ROCAUC(example)
	if err != nil {
		panic(err)
	}
	fmt.Println(auc)
	// Output: 0.75
}

func ExampleROC() {
	c, err := metrics.ROC(example)
	if err != nil {
		panic(err)
	}
	fmt.Println("fpr       ", c.FPR)
	fmt.Println("tpr       ", c.TPR)
	fmt.Println("thresholds", c.Thresholds)
	// Output:
	// fpr        [0 0 0.5 0.5 1]
	// tpr        [0 0.5 0.5 1 1]
	// thresholds [1.8 0.8 0.4 0.35 0.1]
}

func ExamplePrecisionRecall() {
	c, err := metrics.PrecisionRecall(example)
	if err != nil {
		panic(err)
	}
	fmt.Printf("precision  %.4f\n", c.Precision)
	fmt.Println("recall    ", c.Recall)
	fmt.Println("thresholds", c.Thresholds)
	// Output:
	// precision  [0.5000 0.6667 0.5000 1.0000 1.0000]
	// recall     [1 1 0.5 0.5 0]
	// thresholds [0.1 0.35 0.4 0.8]
}

func ExampleAveragePrecision() {
	ap, err := metrics.AveragePrecision(example)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.4f\n", ap)
	// Output: 0.8333
}

// scikit-learn's log_loss example, with "spam" as class 1.
func ExampleLogLoss() {
	ll, err := metrics.LogLoss(metrics.Data{
		Labels: []float64{1, 0, 0, 1},
		Scores: []float64{0.9, 0.1, 0.2, 0.65},
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.5f\n", ll)
	// Output: 0.21616
}

// A probability of exactly 0.5 is class 0, as in
// LogisticRegression.predict.
func ExampleConfusionAt() {
	c, err := metrics.ConfusionAt(metrics.Data{
		Labels: []float64{1, 0, 1, 0, 1},
		Scores: []float64{0.9, 0.5, 0.5, 0.2, 0.7},
	}, 0.5)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", c)
	fmt.Printf("accuracy %.2f precision %.2f recall %.2f f1 %.2f\n", c.Accuracy(), c.Precision(), c.Recall(), c.F1())
	// Output:
	// {TN:2 FP:0 FN:1 TP:2}
	// accuracy 0.80 precision 1.00 recall 0.67 f1 0.80
}

func ExampleMaxF1() {
	cut, err := metrics.MaxF1(example)
	if err != nil {
		panic(err)
	}
	// The cut "score >= 0.35" is "score > 0.35 - 1 ulp".
	fmt.Println(cut.Score, cut.Threshold, cut.F1)
	// Output: 0.35 0.3499999999999999 0.8
}

// The numbers are scikit-learn's: roc_auc_score 0.875,
// average_precision_score 0.9167, log_loss 0.4409, and at the cut
// "p > 0.6 - 1 ulp" confusion_matrix [[4, 0], [1, 3]], f1_score 0.8571.
func ExampleEvaluate() {
	r, err := metrics.Evaluate(metrics.Data{
		Labels:  []float64{0, 0, 1, 1, 0, 1, 1, 0},
		Scores:  []float64{0.1, 0.4, 0.35, 0.8, 0.55, 0.9, 0.6, 0.2},
		Weights: nil, // every row weighs 1
	}, &metrics.Settings{MaxF1: true})
	if err != nil {
		panic(err)
	}
	fmt.Printf("threshold %.4f (%s)\n", r.Threshold, r.ThresholdRule)
	fmt.Printf("confusion %+v\n", r.Confusion)
	fmt.Printf("f1 %.4f accuracy %.4f roc_auc %.4f pr_auc %.4f log_loss %.4f\n",
		r.F1, r.Accuracy, r.ROCAUC, r.PRAUC, r.LogLoss)
	b, _ := json.Marshal(r.Confusion)
	fmt.Println(string(b))
	// Output:
	// threshold 0.6000 (max_f1)
	// confusion {TN:4 FP:0 FN:1 TP:3}
	// f1 0.8571 accuracy 0.8750 roc_auc 0.8750 pr_auc 0.9167 log_loss 0.4409
	// {"tn":4,"fp":0,"fn":1,"tp":3}
}

func ExampleWritePNG() {
	r, err := metrics.Evaluate(example, nil)
	if err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	if err := metrics.WritePNG(&buf, r, nil); err != nil {
		panic(err)
	}
	cfg, err := png.DecodeConfig(&buf)
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Width, cfg.Height)
	// Output: 900 400
}
