package train

import (
	"bytes"
	"errors"
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
	"github.com/pipe-ml/pipe/steps/steptest"
)

// putDataset stores d as a dataset artifact in env.
func putDataset(t testing.TB, env *steptest.Env, d *dataset.Dataset) cty.Value {
	t.Helper()
	return env.PutWith(media.Dataset.Type, func(w io.Writer) error {
		return dataset.Write(w, d)
	}).Value()
}

func synthData(n, dim int, seed uint64) *dataset.Dataset {
	g := synth.Generate(synth.Config{N: n, Dim: dim, Seed: seed})
	g.Meta = dataset.Meta{Positive: "private", Part: dataset.PartTrain, Features: "prefix emb_, dim " + itoa(dim)}
	return g.Dataset
}

func itoa(n int) string { return strconv.Itoa(n) }

func readModel(t *testing.T, env *steptest.Env, v cty.Value) *logreg.Model {
	t.Helper()
	m, err := logreg.DecodeModel(bytes.NewReader(env.Read(v)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRun(t *testing.T) {
	env := steptest.NewEnv(t)
	ds := synthData(2000, 24, 1)
	data := putDataset(t, env, ds)
	out, err := env.Run(Kind{}, map[string]cty.Value{
		"data":   data,
		"params": cty.ObjectVal(map[string]cty.Value{"C": cty.NumberFloatVal(0.5), "class_weight": cty.StringVal("balanced")}),
	})
	if err != nil {
		t.Fatal(err)
	}
	m := readModel(t, env, out["model"])
	a, _ := steps.ArtifactFromValue(out["model"])
	if a.MediaType != media.Model.Type {
		t.Errorf("model media type %s", a.MediaType)
	}
	dataArt, _ := steps.ArtifactFromValue(data)
	if m.TrainingData != dataArt.Digest {
		t.Errorf("model training data %q, want %q", m.TrainingData, dataArt.Digest)
	}
	if m.Features.Dim != 24 || m.Features.Source != "prefix emb_, dim 24" || m.Rows != 2000 {
		t.Errorf("model features %+v, rows %d", m.Features, m.Rows)
	}
	if m.Params.C != 0.5 || m.Params.ClassWeight.Kind != logreg.Balanced {
		t.Errorf("model params %+v", m.Params)
	}

	// The same fit as logreg's, bit for bit.
	want, err := logreg.Fit(t.Context(), &logreg.Data{X: ds.X, N: ds.N, D: ds.Dim, Y: ds.LabelsFloat64()}, m.Params, &logreg.Settings{Parallelism: 1, Precondition: true})
	if err != nil {
		t.Fatal(err)
	}
	obj, _ := out["objective"].AsBigFloat().Float64()
	if obj != want.Objective || obj != m.Objective {
		t.Errorf("objective %v (model %v), want %v", obj, m.Objective, want.Objective)
	}
	if !out["converged"].True() || out["status"].AsString() != want.Status.String() {
		t.Errorf("converged %v status %v, want %v", out["converged"], out["status"], want.Status)
	}
	if it, _ := out["iterations"].AsBigFloat().Int64(); int(it) != want.Iterations || it < 2 {
		t.Errorf("iterations %d, want %d", it, want.Iterations)
	}
	for j, c := range want.Coef {
		if c != m.Coef[j] {
			t.Fatalf("coef[%d] = %v, want %v", j, m.Coef[j], c)
		}
	}
	if w := env.Warnings(); len(w) > 0 {
		t.Errorf("warnings: %v", w)
	}
	if len(env.Reports()) == 0 {
		t.Error("no progress reported")
	}
}

// TestDeterministic trains the same data twice, with 1 and 4 goroutines,
// for each solver, and expects the same model bytes.
func TestDeterministic(t *testing.T) {
	ds := synthData(3000, 32, 2)
	for _, params := range []cty.Value{
		cty.NullVal(cty.DynamicPseudoType),
		cty.ObjectVal(map[string]cty.Value{"penalty": cty.StringVal("l1"), "C": cty.NumberFloatVal(0.3)}),
		cty.ObjectVal(map[string]cty.Value{"penalty": cty.StringVal("elasticnet"), "l1_ratio": cty.NumberFloatVal(0.5), "standardize": cty.True}),
	} {
		var digests []string
		for _, par := range []int{1, 4, 1} {
			env := steptest.NewEnv(t, steptest.Parallelism(par))
			out, err := env.Run(Kind{}, map[string]cty.Value{"data": putDataset(t, env, ds), "params": params})
			if err != nil {
				t.Fatal(err)
			}
			digests = append(digests, out["model"].GetAttr("digest").AsString())
		}
		if digests[0] != digests[1] || digests[0] != digests[2] {
			t.Errorf("params %#v: model digests differ: %v", params, digests)
		}
	}
	// The parallelism attribute, too.
	env := steptest.NewEnv(t, steptest.Parallelism(1))
	data := putDataset(t, env, ds)
	a, err := env.Run(Kind{}, map[string]cty.Value{"data": data})
	if err != nil {
		t.Fatal(err)
	}
	b, err := env.Run(Kind{}, map[string]cty.Value{"data": data, "parallelism": cty.NumberIntVal(3), "seed": cty.NumberIntVal(99)})
	if err != nil {
		t.Fatal(err)
	}
	if !a["model"].RawEquals(b["model"]) {
		t.Error("parallelism or seed changed the model")
	}
}

func TestNotConverged(t *testing.T) {
	env := steptest.NewEnv(t)
	out, err := env.Run(Kind{}, map[string]cty.Value{
		"data":   putDataset(t, env, synthData(1000, 16, 3)),
		"params": cty.ObjectVal(map[string]cty.Value{"max_iter": cty.NumberIntVal(1)}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out["converged"].True() || out["status"].AsString() != "iteration limit" {
		t.Errorf("converged %v, status %v", out["converged"], out["status"])
	}
	w := env.Warnings()
	if len(w) != 1 || w[0].Summary != "Model did not converge" || !strings.Contains(w[0].Detail, "max_iter = 1 ") ||
		!strings.Contains(w[0].Detail, "raise params.max_iter") {
		t.Errorf("warnings %v", w)
	}
	m := readModel(t, env, out["model"])
	if m.Converged || m.Iterations != 1 {
		t.Errorf("model converged %v after %d iterations", m.Converged, m.Iterations)
	}
}

func TestBadData(t *testing.T) {
	oneClass := synthData(200, 8, 4)
	oneClass.Y = make([]uint8, oneClass.N)
	allPositive := synthData(200, 8, 4)
	for i := range allPositive.Y {
		allPositive.Y[i] = 1
	}
	zeros := synthData(200, 8, 4)
	zeros.X = make([]float32, len(zeros.X))
	zeroWeight := synthData(200, 8, 4)
	zeroWeight.W = make([]float64, zeroWeight.N)
	for i, y := range zeroWeight.Y {
		zeroWeight.W[i] = float64(y)
	}
	tests := []struct {
		name    string
		ds      *dataset.Dataset
		summary string
		detail  string
	}{
		{"one class", oneClass, "Only one class", `All 200 rows of the training data are of class 0 (negative): a classifier needs both classes. Class 1 is the label value "private"`},
		{"all positive", allPositive, "Only one class", "are of class 1 (positive)"},
		{"all-zero features", zeros, "All features are zero", "Every feature of all 200 rows of the training data is 0 (prefix emb_, dim 8)"},
		{"class of zero weight", zeroWeight, "Cannot train on this data", "class 0 have zero total sample weight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := steptest.NewEnv(t)
			_, err := env.Run(Kind{}, map[string]cty.Value{"data": putDataset(t, env, tt.ds)})
			var ae *steps.AttrError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v, want an AttrError", err)
			}
			if steps.FormatPath(ae.Path) != "data" || ae.Summary != tt.summary || !strings.Contains(ae.Detail, tt.detail) {
				t.Errorf("error at %s: %q: %q\nwant %q containing %q", steps.FormatPath(ae.Path), ae.Summary, ae.Detail, tt.summary, tt.detail)
			}
		})
	}
}

// TestNonFinite checks the path a NaN would take if one got past the
// dataset reader (which refuses them): an error naming row and feature,
// not a NaN model.
func TestNonFinite(t *testing.T) {
	ds := synthData(300, 8, 5)
	ds.X[17*8+3] = float32(math.NaN())
	env := steptest.NewEnv(t)
	_, _, err := fit(t.Context(), env, ds, "sha256:x", logreg.DefaultParams(), 2)
	var ae *steps.AttrError
	if !errors.As(err, &ae) || steps.FormatPath(ae.Path) != "data" || !strings.Contains(ae.Detail, "row 17, feature 3") {
		t.Errorf("error %v", err)
	}
}

func TestValidate(t *testing.T) {
	env := steptest.NewEnv(t)
	data := putDataset(t, env, synthData(50, 8, 6))
	model := env.Put(media.Model.Type, []byte("{}")).Value()
	tests := []struct {
		name  string
		attrs map[string]cty.Value
		want  []string // "path: summary"
	}{
		{"ok", map[string]cty.Value{"data": data}, nil},
		{"unknown everything", map[string]cty.Value{"data": cty.UnknownVal(steps.ArtifactType), "params": cty.DynamicVal,
			"seed": cty.UnknownVal(cty.Number), "parallelism": cty.UnknownVal(cty.Number)}, nil},
		{"bad params", map[string]cty.Value{"data": data, "params": cty.ObjectVal(map[string]cty.Value{
			"C": cty.NumberIntVal(0), "Penalty": cty.StringVal("l1")})},
			[]string{"params.C: Invalid C", "params.Penalty: Unknown parameter"}},
		{"a model as data", map[string]cty.Value{"data": model}, []string{"data: Wrong kind of artifact"}},
		{"seed", map[string]cty.Value{"data": data, "seed": cty.NumberFloatVal(-1)}, []string{"seed: Invalid seed"}},
		{"seed fraction", map[string]cty.Value{"data": data, "seed": cty.NumberFloatVal(1.5)}, []string{"seed: Invalid seed"}},
		{"parallelism", map[string]cty.Value{"data": data, "parallelism": cty.NumberIntVal(0)}, []string{"parallelism: Invalid parallelism"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range steptest.Validate(t, Kind{}, tt.attrs) {
				got = append(got, steps.FormatPath(e.Path)+": "+e.Summary)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
	// Run refuses them too.
	if _, err := env.Run(Kind{}, map[string]cty.Value{"data": data, "params": cty.ObjectVal(map[string]cty.Value{"tol": cty.NumberIntVal(-1)})}); err == nil {
		t.Error("Run accepted tol = -1")
	}
}
