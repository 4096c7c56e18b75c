package metrics

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// synthetic returns n rows with about rate positives whose scores separate
// the classes a little; decimals > 0 rounds the scores to make ties.
func synthetic(seed uint64, n int, rate float64, decimals int, weighted bool) Data {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := Data{Labels: make([]float64, n), Scores: make([]float64, n)}
	if weighted {
		d.Weights = make([]float64, n)
	}
	scale := math.Pow(10, float64(decimals))
	for i := range n {
		y := 0.0
		if rng.Float64() < rate {
			y = 1
		}
		z := rng.NormFloat64() + 0.8*(2*y-1)
		p := 1 / (1 + math.Exp(-z))
		if decimals > 0 {
			p = math.Round(p*scale) / scale
		}
		d.Labels[i], d.Scores[i] = y, p
		if weighted {
			d.Weights[i] = 0.1 + 2*rng.Float64()
		}
	}
	return d
}

// propertyCases are the data the property tests run on.
func propertyCases() map[string]Data {
	return map[string]Data{
		"continuous":         synthetic(1, 500, 0.4, 0, false),
		"ties_2_decimals":    synthetic(2, 500, 0.3, 2, false),
		"ties_1_decimal":     synthetic(3, 300, 0.5, 1, false),
		"weighted":           synthetic(4, 400, 0.4, 0, true),
		"weighted_ties":      synthetic(5, 400, 0.4, 2, true),
		"imbalanced":         synthetic(6, 2000, 0.01, 3, false),
		"imbalanced_weights": synthetic(7, 1000, 0.05, 2, true),
	}
}

// approx compares reports (and anything holding float64) to 1e-12.
var approx = cmpopts.EquateApprox(1e-12, 1e-12)

// permute returns the rows of d in a seeded random order.
func permute(d Data, seed uint64) Data {
	rng := rand.New(rand.NewPCG(seed, 2))
	perm := rng.Perm(len(d.Labels))
	out := Data{Labels: make([]float64, len(perm)), Scores: make([]float64, len(perm))}
	if d.Weights != nil {
		out.Weights = make([]float64, len(perm))
	}
	for i, j := range perm {
		out.Labels[i], out.Scores[i] = d.Labels[j], d.Scores[j]
		if d.Weights != nil {
			out.Weights[i] = d.Weights[j]
		}
	}
	return out
}

func mustEvaluate(t *testing.T, d Data, s *Settings) *Report {
	t.Helper()
	r, err := Evaluate(d, s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRowOrderInvariance(t *testing.T) {
	for name, d := range propertyCases() {
		t.Run(name, func(t *testing.T) {
			for _, s := range []*Settings{nil, {MaxF1: true}} {
				want := mustEvaluate(t, d, s)
				for seed := range uint64(3) {
					got := mustEvaluate(t, permute(d, seed), s)
					if diff := cmp.Diff(want, got, approx); diff != "" {
						t.Errorf("report changed when rows were shuffled (seed %d):\n%s", seed, diff)
					}
				}
			}
		})
	}
}

// TestReversedScores: negating every score swaps the roles of the cuts,
// so the ROC AUC becomes 1 - AUC.
func TestReversedScores(t *testing.T) {
	for name, d := range propertyCases() {
		t.Run(name, func(t *testing.T) {
			auc, err := ROCAUC(d)
			if err != nil {
				t.Fatal(err)
			}
			rev := d
			rev.Scores = make([]float64, len(d.Scores))
			for i, s := range d.Scores {
				rev.Scores[i] = -s
			}
			got, err := ROCAUC(rev)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-(1-auc)) > 1e-12 {
				t.Errorf("AUC of reversed scores = %v, want 1 - %v = %v", got, auc, 1-auc)
			}
		})
	}
}

// TestMonotoneTransform: the ranking metrics see only the order of the
// scores, so a strictly increasing map leaves them (and the rates along
// the curves) unchanged.
func TestMonotoneTransform(t *testing.T) {
	transforms := map[string]func(float64) float64{
		"logit": func(p float64) float64 { q := 0.01 + 0.98*p; return math.Log(q / (1 - q)) },
		"cube":  func(p float64) float64 { return p * p * p },
		"affine": func(p float64) float64 {
			return 3*p - 7
		},
	}
	for name, d := range propertyCases() {
		for tname, f := range transforms {
			t.Run(name+"/"+tname, func(t *testing.T) {
				md := d
				md.Scores = make([]float64, len(d.Scores))
				for i, s := range d.Scores {
					md.Scores[i] = f(s)
				}
				for what, metric := range map[string]func(Data) (float64, error){
					"ROCAUC": ROCAUC, "AveragePrecision": AveragePrecision, "TrapezoidPRAUC": TrapezoidPRAUC,
				} {
					want, err := metric(d)
					if err != nil {
						t.Fatal(err)
					}
					got, err := metric(md)
					if err != nil {
						t.Fatal(err)
					}
					if math.Abs(got-want) > 1e-12 {
						t.Errorf("%s after %s = %v, before %v", what, tname, got, want)
					}
				}
				r1, _ := ROC(d)
				r2, _ := ROC(md)
				if diff := cmp.Diff(r1, r2, approx, cmpopts.IgnoreFields(ROCCurve{}, "Thresholds")); diff != "" {
					t.Errorf("ROC rates changed:\n%s", diff)
				}
				p1, _ := PrecisionRecall(d)
				p2, _ := PrecisionRecall(md)
				if diff := cmp.Diff(p1, p2, approx, cmpopts.IgnoreFields(PRCurve{}, "Thresholds")); diff != "" {
					t.Errorf("PR curve changed:\n%s", diff)
				}
			})
		}
	}
}

// TestConstantWeights: weights all equal to 2 give the unweighted metrics
// (the counts double).
func TestConstantWeights(t *testing.T) {
	for name, d := range propertyCases() {
		if d.Weights != nil {
			continue
		}
		t.Run(name, func(t *testing.T) {
			w := d
			w.Weights = make([]float64, len(d.Labels))
			for i := range w.Weights {
				w.Weights[i] = 2
			}
			for _, s := range []*Settings{nil, {MaxF1: true}} {
				want := mustEvaluate(t, d, s)
				got := mustEvaluate(t, w, s)
				if got.Positives != 2*want.Positives || got.Negatives != 2*want.Negatives ||
					got.Confusion.TP != 2*want.Confusion.TP || got.Confusion.TN != 2*want.Confusion.TN {
					t.Errorf("counts did not double: %+v vs %+v", got.Confusion, want.Confusion)
				}
				got.Weighted, got.Positives, got.Negatives, got.Confusion = want.Weighted, want.Positives, want.Negatives, want.Confusion
				if diff := cmp.Diff(want, got, approx); diff != "" {
					t.Errorf("weights all 2 changed the report:\n%s", diff)
				}
			}
		})
	}
}

// TestIntegerWeightsRepeatRows: an integer weight k is the same as the row
// written k times.
func TestIntegerWeightsRepeatRows(t *testing.T) {
	d := synthetic(8, 300, 0.4, 2, false)
	rng := rand.New(rand.NewPCG(8, 3))
	w := d
	w.Weights = make([]float64, len(d.Labels))
	var rep Data
	for i := range d.Labels {
		k := rng.IntN(4) // 0 to 3: zero weights too
		w.Weights[i] = float64(k)
		for range k {
			rep.Labels = append(rep.Labels, d.Labels[i])
			rep.Scores = append(rep.Scores, d.Scores[i])
		}
	}
	for _, s := range []*Settings{nil, {MaxF1: true}} {
		want := mustEvaluate(t, rep, s)
		got := mustEvaluate(t, w, s)
		got.Rows, got.Weighted = want.Rows, want.Weighted
		if diff := cmp.Diff(want, got, approx); diff != "" {
			t.Errorf("integer weights differ from repeated rows:\n%s", diff)
		}
	}
}

// TestReportJSON: the encoding is the same bytes every time and reads
// back to the same report. (Another row order is the same only to
// rounding: sums run in row order; see TestRowOrderInvariance.)
func TestReportJSON(t *testing.T) {
	for name, d := range propertyCases() {
		t.Run(name, func(t *testing.T) {
			r := mustEvaluate(t, d, &Settings{MaxF1: true})
			b1, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			b2, err := json.Marshal(mustEvaluate(t, d, &Settings{MaxF1: true}))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b1, b2) {
				t.Error("two reports on the same data encode to different bytes")
			}
			var back Report
			if err := json.Unmarshal(b1, &back); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(r, &back); diff != "" {
				t.Errorf("JSON round trip changed the report:\n%s", diff)
			}
			b3, _ := json.Marshal(&back)
			if !bytes.Equal(b1, b3) {
				t.Error("re-encoding a decoded report gives other bytes")
			}
		})
	}
}

func TestReportJSONFieldOrder(t *testing.T) {
	r := mustEvaluate(t, Data{Labels: []float64{0, 1}, Scores: []float64{0.25, 0.75}}, nil)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"format":1,"rows":2,"weighted":false,"positives":1,"negatives":1,"distinct_scores":2,` +
		`"threshold_rule":"fixed","threshold":0.5,"confusion":{"tn":1,"fp":0,"fn":0,"tp":1},` +
		`"accuracy":1,"precision":1,"recall":1,"f1":1,"log_loss":0.2876820724517809,"roc_auc":1,"pr_auc":1,` +
		`"pr_auc_trapezoid":1,"max_f1":{"score":0.75,"threshold":0.7499999999999999,"f1":1},` +
		`"roc":{"fpr":[0,0,1],"tpr":[0,1,1],"thresholds":[1.75,0.75,0.25]},` +
		`"pr":{"precision":[0.5,1,1],"recall":[1,1,0],"thresholds":[0.25,0.75]}}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
}

// TestThresholdIsStrict: a score equal to the threshold is class 0, as
// LogisticRegression.predict puts probability 0.5 in class 0.
func TestThresholdIsStrict(t *testing.T) {
	d := Data{Labels: []float64{1, 0, 1, 0}, Scores: []float64{0.5, 0.5, 0.7, 0.2}}
	c, err := ConfusionAt(d, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Confusion{TN: 2, FP: 0, FN: 1, TP: 1}); c != want {
		t.Errorf("ConfusionAt(0.5) = %+v, want %+v", c, want)
	}
	r := mustEvaluate(t, d, nil)
	if r.Confusion != c {
		t.Errorf("Report confusion %+v, ConfusionAt %+v", r.Confusion, c)
	}
	// Just below 0.5 the tied rows are class 1.
	c, _ = ConfusionAt(d, math.Nextafter(0.5, 0))
	if want := (Confusion{TN: 1, FP: 1, FN: 0, TP: 2}); c != want {
		t.Errorf("ConfusionAt(0.5-) = %+v, want %+v", c, want)
	}
}

// TestMaxF1Ties: two cuts with F1 = 2/3; the larger score wins.
func TestMaxF1Ties(t *testing.T) {
	d := Data{Labels: []float64{1, 0, 0, 1}, Scores: []float64{0.9, 0.8, 0.7, 0.6}}
	got, err := MaxF1(d)
	if err != nil {
		t.Fatal(err)
	}
	want := Cut{Score: 0.9, Threshold: math.Nextafter(0.9, 0), F1: 2.0 / 3}
	if got != want {
		t.Errorf("MaxF1 = %+v, want %+v", got, want)
	}
	// The same in another row order.
	d = Data{Labels: []float64{1, 0, 0, 1}, Scores: []float64{0.6, 0.7, 0.8, 0.9}}
	if got, _ := MaxF1(d); got != want {
		t.Errorf("MaxF1 after reordering = %+v, want %+v", got, want)
	}
	r := mustEvaluate(t, d, &Settings{MaxF1: true})
	if r.Threshold != want.Threshold || r.F1 != want.F1 || r.Confusion != (Confusion{TN: 2, FP: 0, FN: 1, TP: 1}) {
		t.Errorf("report at max F1: threshold %v f1 %v %+v", r.Threshold, r.F1, r.Confusion)
	}
}
