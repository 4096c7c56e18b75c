package evaluate

import (
	"bytes"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/dataset"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
	"github.com/pipe-ml/pipe/steps/shared/media"
	"github.com/pipe-ml/pipe/steps/shared/metrics"
	"github.com/pipe-ml/pipe/steps/steptest"
)

func synthData(n, dim int, seed uint64) *dataset.Dataset {
	g := synth.Generate(synth.Config{N: n, Dim: dim, Seed: seed})
	g.Meta = dataset.Meta{Positive: "private", Part: dataset.PartTest, Features: "prefix emb_, dim " + strconv.Itoa(dim)}
	return g.Dataset
}

// synthSplit generates train+test rows from one distribution (a seed
// draws its own) and splits them.
func synthSplit(train, test, dim int, seed uint64) (*dataset.Dataset, *dataset.Dataset) {
	all := synthData(train+test, dim, seed)
	part := func(lo, hi int) *dataset.Dataset {
		return &dataset.Dataset{N: hi - lo, Dim: dim, X: all.X[lo*dim : hi*dim], Y: all.Y[lo:hi], IDs: all.IDs[lo:hi], Texts: all.Texts[lo:hi], Meta: all.Meta}
	}
	return part(0, train), part(train, train+test)
}

func putDataset(t testing.TB, env *steptest.Env, d *dataset.Dataset) cty.Value {
	t.Helper()
	return env.PutWith(media.Dataset.Type, func(w io.Writer) error { return dataset.Write(w, d) }).Value()
}

// trainModel fits a model to ds with logreg directly.
func trainModel(t testing.TB, ds *dataset.Dataset, p logreg.Params) *logreg.Model {
	t.Helper()
	data := &logreg.Data{X: ds.X, N: ds.N, D: ds.Dim, Y: ds.LabelsFloat64(), Weight: ds.W}
	res, err := logreg.Fit(t.Context(), data, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := logreg.NewModel(res, data, p, logreg.Features{Source: ds.Meta.Features}, "sha256:"+strings.Repeat("0", 64))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func putModel(t testing.TB, env *steptest.Env, m *logreg.Model) cty.Value {
	t.Helper()
	return env.PutWith(media.Model.Type, m.Encode).Value()
}

func num(t *testing.T, v cty.Value) float64 {
	t.Helper()
	f, _ := v.AsBigFloat().Float64()
	return f
}

func digest(v cty.Value) string { return v.GetAttr("digest").AsString() }

func TestRun(t *testing.T) {
	env := steptest.NewEnv(t)
	train, test := synthSplit(3000, 1500, 16, 1)
	m := trainModel(t, train, logreg.DefaultParams())
	model, data := putModel(t, env, m), putDataset(t, env, test)

	for _, tt := range []struct {
		name      string
		threshold cty.Value
		settings  metrics.Settings
	}{
		{"default", cty.NilVal, metrics.Settings{Threshold: 0.5}},
		{"number", cty.NumberFloatVal(0.3), metrics.Settings{Threshold: 0.3}},
		{"max_f1", cty.StringVal("max_f1"), metrics.Settings{MaxF1: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			attrs := map[string]cty.Value{"model": model, "data": data}
			if tt.threshold != cty.NilVal {
				attrs["threshold"] = tt.threshold
			}
			out, err := env.Run(Kind{}, attrs)
			if err != nil {
				t.Fatal(err)
			}
			// The same numbers as steps/shared/metrics on the same probabilities.
			scores, err := m.PredictProba(test.X, test.N, test.Dim)
			if err != nil {
				t.Fatal(err)
			}
			s := tt.settings
			s.CurveStep = CurveStep
			want, err := metrics.Evaluate(metrics.Data{Labels: test.LabelsFloat64(), Scores: scores}, &s)
			if err != nil {
				t.Fatal(err)
			}
			for name, w := range map[string]float64{
				"f1": want.F1, "accuracy": want.Accuracy, "roc_auc": want.ROCAUC, "precision": want.Precision,
				"recall": want.Recall, "log_loss": want.LogLoss, "pr_auc": want.PRAUC, "threshold": want.Threshold,
			} {
				if got := num(t, out[name]); got != w {
					t.Errorf("%s = %v, want %v", name, got, w)
				}
			}
			c := out["confusion"]
			if num(t, c.GetAttr("tp")) != want.Confusion.TP || num(t, c.GetAttr("fp")) != want.Confusion.FP ||
				num(t, c.GetAttr("tn")) != want.Confusion.TN || num(t, c.GetAttr("fn")) != want.Confusion.FN {
				t.Errorf("confusion %#v, want %+v", c, want.Confusion)
			}
			if num(t, out["rows"]) != 1500 {
				t.Errorf("rows %v", out["rows"])
			}
			if f1 := num(t, out["f1"]); f1 < 0.75 {
				t.Errorf("f1 = %v: the model learnt nothing?", f1)
			}

			// The report.
			var rep Report
			dec := json.NewDecoder(bytes.NewReader(env.Read(out["report"])))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&rep); err != nil {
				t.Fatal(err)
			}
			if rep.Format != ReportFormat || rep.Model.Digest != digest(model) || rep.Data.Digest != digest(data) ||
				rep.Data.Rows != 1500 || rep.Data.Positives != test.Positives() || rep.Data.Positive != "private" ||
				rep.Model.Dim != 16 || rep.Threshold != want.Threshold || rep.Metrics.F1 != want.F1 || rep.MaxF1 != want.MaxF1 {
				t.Errorf("report %+v", rep)
			}
			if len(rep.Curves.ROC.FPR) != len(want.ROC.FPR) || len(rep.Curves.PR.Recall) != len(want.PR.Recall) || rep.Curves.Step != CurveStep {
				t.Errorf("report curves have %d and %d points, want %d and %d", len(rep.Curves.ROC.FPR), len(rep.Curves.PR.Recall), len(want.ROC.FPR), len(want.PR.Recall))
			}
			wantRule := metrics.RuleFixed
			if tt.settings.MaxF1 {
				wantRule = metrics.RuleMaxF1
			}
			if rep.ThresholdRule != wantRule {
				t.Errorf("threshold rule %q, want %q", rep.ThresholdRule, wantRule)
			}
			if rep.Plot.Digest != digest(out["plot"]) || rep.Plot.MediaType != media.Plot.Type {
				t.Errorf("report plot %+v, output %#v", rep.Plot, out["plot"])
			}
			img, err := png.Decode(bytes.NewReader(env.Read(out["plot"])))
			if err != nil || img.Bounds().Dx() != 900 {
				t.Errorf("plot: %v", err)
			}

			// The keys others read, by name (publish, serve).
			var generic map[string]any
			if err := json.Unmarshal(env.Read(out["report"]), &generic); err != nil {
				t.Fatal(err)
			}
			mets := generic["metrics"].(map[string]any)
			for _, k := range []string{"f1", "accuracy", "roc_auc", "precision", "recall", "log_loss", "pr_auc"} {
				if _, ok := mets[k].(float64); !ok {
					t.Errorf("report metrics.%s is %v", k, mets[k])
				}
			}
			conf := generic["confusion"].(map[string]any)
			for _, k := range []string{"tp", "fp", "tn", "fn"} {
				if _, ok := conf[k].(float64); !ok {
					t.Errorf("report confusion.%s is %v", k, conf[k])
				}
			}
		})
	}
}

// TestTies scores a model that gives every row the same probability: the
// curves have one cut, ROC AUC is 0.5 and average precision the share of
// positives, as in scikit-learn.
func TestTies(t *testing.T) {
	env := steptest.NewEnv(t)
	ds := synthData(400, 8, 3)
	m := trainModel(t, ds, logreg.DefaultParams())
	for j := range m.Coef {
		m.Coef[j] = 0
	}
	m.Intercept = 0.25 // every probability σ(0.25) > 0.5: all predicted 1
	out, err := env.Run(Kind{}, map[string]cty.Value{"model": putModel(t, env, m), "data": putDataset(t, env, ds)})
	if err != nil {
		t.Fatal(err)
	}
	pos := float64(ds.Positives())
	share := pos / float64(ds.N)
	for name, want := range map[string]float64{
		"roc_auc": 0.5, "pr_auc": share, "precision": share, "recall": 1, "accuracy": share, "f1": 2 * share / (share + 1),
	} {
		if got := num(t, out[name]); got != want && !(got-want < 1e-15 && want-got < 1e-15) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if tp, fp := num(t, out["confusion"].GetAttr("tp")), num(t, out["confusion"].GetAttr("fp")); tp != pos || fp != float64(ds.N)-pos {
		t.Errorf("tp %v fp %v", tp, fp)
	}
}

func TestDeterministic(t *testing.T) {
	train, test := synthSplit(2000, 1000, 16, 4)
	m := trainModel(t, train, logreg.DefaultParams())
	var got [][2]string
	for _, par := range []int{1, 4, 1} {
		env := steptest.NewEnv(t, steptest.Parallelism(par))
		out, err := env.Run(Kind{}, map[string]cty.Value{"model": putModel(t, env, m), "data": putDataset(t, env, test), "threshold": cty.StringVal("max_f1")})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, [2]string{digest(out["report"]), digest(out["plot"])})
	}
	if got[0] != got[1] || got[0] != got[2] {
		t.Errorf("report and plot digests differ between runs: %v", got)
	}
}

func TestWeighted(t *testing.T) {
	env := steptest.NewEnv(t)
	ds := synthData(800, 8, 6)
	ds.W = make([]float64, ds.N)
	for i := range ds.W {
		ds.W[i] = float64(1 + i%3)
	}
	m := trainModel(t, ds, logreg.DefaultParams())
	out, err := env.Run(Kind{}, map[string]cty.Value{"model": putModel(t, env, m), "data": putDataset(t, env, ds)})
	if err != nil {
		t.Fatal(err)
	}
	c := out["confusion"]
	total := num(t, c.GetAttr("tp")) + num(t, c.GetAttr("fp")) + num(t, c.GetAttr("tn")) + num(t, c.GetAttr("fn"))
	want := 0.0
	for _, w := range ds.W {
		want += w
	}
	if total != want {
		t.Errorf("confusion adds up to %v, want the total weight %v", total, want)
	}
	var rep Report
	if err := json.Unmarshal(env.Read(out["report"]), &rep); err != nil || !rep.Data.Weighted {
		t.Errorf("report data %+v: %v", rep.Data, err)
	}
}

func TestBadInput(t *testing.T) {
	env := steptest.NewEnv(t)
	train := synthData(1000, 16, 7)
	m := trainModel(t, train, logreg.DefaultParams())
	model := putModel(t, env, m)

	oneClass := synthData(300, 16, 8)
	for i := range oneClass.Y {
		oneClass.Y[i] = 1
	}
	narrow := synthData(300, 12, 9)
	tests := []struct {
		name                  string
		attrs                 map[string]cty.Value
		path, summary, detail string
	}{
		{"one class", map[string]cty.Value{"model": model, "data": putDataset(t, env, oneClass)},
			"data", "Only one class", "The evaluation data has 300 rows of class 1 and 0 of class 0: ROC AUC"},
		{"width", map[string]cty.Value{"model": model, "data": putDataset(t, env, narrow)},
			"data", "Feature width mismatch", "The model expects 16 features per row (prefix emb_, dim 16) but the data has 12 (prefix emb_, dim 12)"},
		{"not a model", map[string]cty.Value{"model": env.Put(media.Model.Type, []byte(`{"format":"x"}`)).Value(), "data": putDataset(t, env, train)},
			"model", "Unreadable model", `model format is "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.Run(Kind{}, tt.attrs)
			var ae *steps.AttrError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v, want an AttrError", err)
			}
			if steps.FormatPath(ae.Path) != tt.path || ae.Summary != tt.summary || !strings.Contains(ae.Detail, tt.detail) {
				t.Errorf("error at %s: %q: %q\nwant %s: %q containing %q", steps.FormatPath(ae.Path), ae.Summary, ae.Detail, tt.path, tt.summary, tt.detail)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	env := steptest.NewEnv(t)
	ds := synthData(50, 8, 10)
	data := putDataset(t, env, ds)
	model := putModel(t, env, trainModel(t, ds, logreg.DefaultParams()))
	tests := []struct {
		name  string
		attrs map[string]cty.Value
		want  string
	}{
		{"ok", map[string]cty.Value{"model": model, "data": data, "threshold": cty.NumberFloatVal(0.7)}, ""},
		{"unknown", map[string]cty.Value{"model": cty.UnknownVal(steps.ArtifactType), "data": cty.UnknownVal(steps.ArtifactType), "threshold": cty.DynamicVal}, ""},
		{"threshold 1", map[string]cty.Value{"model": model, "data": data, "threshold": cty.NumberIntVal(1)}, "threshold: Invalid threshold"},
		{"threshold 0", map[string]cty.Value{"model": model, "data": data, "threshold": cty.Zero}, "threshold: Invalid threshold"},
		{"threshold word", map[string]cty.Value{"model": model, "data": data, "threshold": cty.StringVal("best")}, "threshold: Invalid threshold"},
		{"threshold bool", map[string]cty.Value{"model": model, "data": data, "threshold": cty.True}, "threshold: Invalid threshold"},
		{"swapped", map[string]cty.Value{"model": data, "data": model}, "model: Wrong kind of artifact\ndata: Wrong kind of artifact"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range steptest.Validate(t, Kind{}, tt.attrs) {
				got = append(got, steps.FormatPath(e.Path)+": "+e.Summary)
			}
			if strings.Join(got, "\n") != tt.want {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), tt.want)
			}
		})
	}
}

// TestNonFiniteData: data that holds a NaN or ±Inf (a file another writer
// made) is refused with the row and the feature named, as the search of
// the whole matrix before scoring named them, though the search is now
// scoring's own margins: a row in a later block of rows, a value whose
// weight in the model is 0, the first of two bad rows, with the data read
// or mapped.
func TestNonFiniteData(t *testing.T) {
	const dim = 16
	ds := synthData(20_000, dim, 11) // more rows than one block of scoring (16 MB / 64 B)
	m := trainModel(t, ds, logreg.DefaultParams())
	m.Coef[5] = 0
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, tt := range []struct {
		name   string
		values map[int]float32
		want   string
	}{
		{"nan", map[int]float32{3*dim + 2: nan, 900*dim + 1: inf}, "row 4, feature 2: NaN is not a finite number"},
		{"inf in a later block", map[int]float32{19_999*dim + 15: inf}, "row 20000, feature 15: +Inf is not a finite number"},
		{"-inf of weight 0", map[int]float32{300*dim + 5: -inf}, "row 301, feature 5: -Inf is not a finite number"},
	} {
		b, err := synth.WithNonFinite(ds, tt.values)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(tt.name, func(t *testing.T) {
			steptest.EachStore(t, func(t *testing.T, env *steptest.Env) {
				data := env.Put(media.Dataset.Type, b).Value()
				_, err := env.Run(Kind{}, map[string]cty.Value{"model": putModel(t, env, m), "data": data})
				if err == nil || !strings.Contains(err.Error(), "evaluate: reading the data: dataset: "+tt.want) {
					t.Fatalf("error %v, want one naming %s", err, tt.want)
				}
			})
		})
	}
}
