package metrics

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestDataErrors(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	ok := Data{Labels: []float64{0, 1, 1}, Scores: []float64{0.2, 0.6, 0.9}}
	cases := []struct {
		name string
		d    Data
		want error
		text string // a part of the message
	}{
		{"empty", Data{}, ErrEmpty, "metrics: no rows"},
		{"scores too short", Data{Labels: ok.Labels, Scores: ok.Scores[:2]}, ErrLength, "metrics: scores: 2 scores for 3 labels"},
		{"weights too long", Data{Labels: ok.Labels, Scores: ok.Scores, Weights: []float64{1, 1, 1, 1}}, ErrLength, "4 weights for 3 labels"},
		{"label 2", Data{Labels: []float64{0, 2, 1}, Scores: ok.Scores}, ErrValue, "metrics: labels[1]: label 2 is neither 0 nor 1"},
		{"label NaN", Data{Labels: []float64{0, 1, nan}, Scores: ok.Scores}, ErrValue, "labels[2]"},
		{"score NaN", Data{Labels: ok.Labels, Scores: []float64{0.2, nan, 0.9}}, ErrValue, "metrics: scores[1]: score NaN is not a finite number"},
		{"score Inf", Data{Labels: ok.Labels, Scores: []float64{inf, 0.5, 0.9}}, ErrValue, "scores[0]: score +Inf"},
		{"weight negative", Data{Labels: ok.Labels, Scores: ok.Scores, Weights: []float64{1, -1, 1}}, ErrValue, "weights[1]: weight -1"},
		{"weight NaN", Data{Labels: ok.Labels, Scores: ok.Scores, Weights: []float64{1, 1, nan}}, ErrValue, "weights[2]"},
		{"weights all zero", Data{Labels: ok.Labels, Scores: ok.Scores, Weights: []float64{0, 0, 0}}, ErrEmpty, "every weight is zero"},
	}
	fns := map[string]func(Data) error{
		"ConfusionAt":      func(d Data) error { _, err := ConfusionAt(d, 0.5); return err },
		"LogLoss":          func(d Data) error { _, err := LogLoss(d); return err },
		"ROC":              func(d Data) error { _, err := ROC(d); return err },
		"ROCAUC":           func(d Data) error { _, err := ROCAUC(d); return err },
		"PrecisionRecall":  func(d Data) error { _, err := PrecisionRecall(d); return err },
		"AveragePrecision": func(d Data) error { _, err := AveragePrecision(d); return err },
		"TrapezoidPRAUC":   func(d Data) error { _, err := TrapezoidPRAUC(d); return err },
		"MaxF1":            func(d Data) error { _, err := MaxF1(d); return err },
		"Evaluate":         func(d Data) error { _, err := Evaluate(d, nil); return err },
	}
	for fname, f := range fns {
		if err := f(ok); err != nil {
			t.Errorf("%s on good data: %v", fname, err)
		}
		for _, c := range cases {
			err := f(c.d)
			var de *DataError
			if !errors.Is(err, c.want) || !errors.As(err, &de) {
				t.Errorf("%s(%s) = %v, want a *DataError wrapping %v", fname, c.name, err, c.want)
				continue
			}
			if !strings.Contains(err.Error(), c.text) {
				t.Errorf("%s(%s) = %q, want it to contain %q", fname, c.name, err, c.text)
			}
		}
	}
}

// TestOneClass: the ranking metrics need both classes (the PR curve only
// the positive one); the metrics of a cut and the log loss are defined.
func TestOneClass(t *testing.T) {
	negatives := Data{Labels: []float64{0, 0, 0}, Scores: []float64{0.2, 0.6, 0.9}}
	positives := Data{Labels: []float64{1, 1, 1}, Scores: []float64{0.2, 0.6, 0.9}}
	// Class 1 present only with weight zero counts as absent.
	zeroed := Data{Labels: []float64{0, 1, 0}, Scores: []float64{0.2, 0.6, 0.9}, Weights: []float64{1, 0, 1}}

	for name, d := range map[string]Data{"negatives": negatives, "positives": positives, "zeroed": zeroed} {
		if _, err := ROCAUC(d); !errors.Is(err, ErrOneClass) {
			t.Errorf("ROCAUC(%s) = %v, want ErrOneClass", name, err)
		}
		if _, err := Evaluate(d, nil); !errors.Is(err, ErrOneClass) {
			t.Errorf("Evaluate(%s) = %v, want ErrOneClass", name, err)
		}
		if _, err := LogLoss(d); err != nil {
			t.Errorf("LogLoss(%s): %v", name, err)
		}
		if _, err := ConfusionAt(d, 0.5); err != nil {
			t.Errorf("ConfusionAt(%s): %v", name, err)
		}
	}
	for name, d := range map[string]Data{"negatives": negatives, "zeroed": zeroed} {
		if _, err := AveragePrecision(d); !errors.Is(err, ErrOneClass) {
			t.Errorf("AveragePrecision(%s) = %v, want ErrOneClass", name, err)
		}
		if _, err := MaxF1(d); !errors.Is(err, ErrOneClass) {
			t.Errorf("MaxF1(%s) = %v, want ErrOneClass", name, err)
		}
	}
	// Only positives: precision is 1 at every cut, as in scikit-learn.
	ap, err := AveragePrecision(positives)
	if err != nil || ap != 1 {
		t.Errorf("AveragePrecision(positives) = %v, %v; want 1", ap, err)
	}
	if _, err := Evaluate(negatives, nil); err == nil || !strings.Contains(err.Error(), "every row with non-zero weight has label 0") {
		t.Errorf("Evaluate(negatives) = %v", err)
	}
}

func TestScoresOutsideUnitInterval(t *testing.T) {
	d := Data{Labels: []float64{0, 1}, Scores: []float64{-2.5, 3}} // decision values
	if auc, err := ROCAUC(d); err != nil || auc != 1 {
		t.Errorf("ROCAUC of decision values = %v, %v; want 1", auc, err)
	}
	for what, err := range map[string]error{
		"LogLoss":  func() error { _, err := LogLoss(d); return err }(),
		"Evaluate": func() error { _, err := Evaluate(d, nil); return err }(),
	} {
		if !errors.Is(err, ErrValue) || !strings.Contains(err.Error(), "scores[0]: score -2.5 is not a probability in [0, 1]") {
			t.Errorf("%s of decision values: %v", what, err)
		}
	}
}

func TestBadThreshold(t *testing.T) {
	d := Data{Labels: []float64{0, 1}, Scores: []float64{0.2, 0.7}}
	if _, err := ConfusionAt(d, math.NaN()); !errors.Is(err, ErrThreshold) {
		t.Errorf("ConfusionAt(NaN) = %v", err)
	}
	for _, th := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := Evaluate(d, &Settings{Threshold: th}); !errors.Is(err, ErrThreshold) {
			t.Errorf("Evaluate(threshold %v) = %v", th, err)
		}
	}
	// With MaxF1 the threshold field is ignored.
	if _, err := Evaluate(d, &Settings{Threshold: math.NaN(), MaxF1: true}); err != nil {
		t.Errorf("Evaluate(MaxF1) with a NaN threshold: %v", err)
	}
	// Infinite thresholds are cuts like any other for ConfusionAt.
	if c, err := ConfusionAt(d, math.Inf(-1)); err != nil || c != (Confusion{FP: 1, TP: 1}) {
		t.Errorf("ConfusionAt(-Inf) = %+v, %v", c, err)
	}
}
