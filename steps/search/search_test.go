package search

import (
	"bytes"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/dataset"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
	"github.com/pipe-ml/pipe/steps/shared/lrconfig"
	"github.com/pipe-ml/pipe/steps/shared/media"
	"github.com/pipe-ml/pipe/steps/steptest"
	"github.com/pipe-ml/pipe/steps/train"
)

// putDataset stores d as a dataset artifact in env.
func putDataset(t testing.TB, env *steptest.Env, d *dataset.Dataset) cty.Value {
	t.Helper()
	return env.PutWith(media.Dataset.Type, func(w io.Writer) error {
		return dataset.Write(w, d)
	}).Value()
}

// synthData is a small generated training set.
func synthData(n, dim int, seed uint64) *dataset.Dataset {
	g := synth.Generate(synth.Config{N: n, Dim: dim, Seed: seed})
	g.Meta = dataset.Meta{Positive: "private", Part: dataset.PartTrain, Features: "prefix emb_"}
	return g.Dataset
}

func nums(vs ...float64) cty.Value {
	out := make([]cty.Value, len(vs))
	for i, v := range vs {
		out[i] = cty.NumberFloatVal(v)
	}
	return cty.TupleVal(out)
}

// ones is a list of n values 1, 2, …, n.
func ones(n int) cty.Value {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i + 1)
	}
	return nums(out...)
}

func strs(vs ...string) cty.Value {
	out := make([]cty.Value, len(vs))
	for i, v := range vs {
		out[i] = cty.StringVal(v)
	}
	return cty.TupleVal(out)
}

func obj(m map[string]cty.Value) cty.Value { return cty.ObjectVal(m) }

// dist is the value loguniform(lo, hi) or uniform(lo, hi) evaluates to.
func dist(name string, lo, hi float64) cty.Value {
	return obj(map[string]cty.Value{
		"distribution": cty.StringVal(name),
		"low":          cty.NumberFloatVal(lo),
		"high":         cty.NumberFloatVal(hi),
	})
}

func readTrials(t *testing.T, env *steptest.Env, v cty.Value) (*TrialsFile, []byte) {
	t.Helper()
	b := env.Read(v)
	f, err := DecodeTrials(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return f, b
}

// trialParams decodes a trial row's parameters.
func trialParams(t *testing.T, row TrialRow) logreg.Params {
	t.Helper()
	v, err := ctyjsonUnmarshal(row.Params)
	if err != nil {
		t.Fatal(err)
	}
	p, err := lrconfig.Decode(v, cty.GetAttrPath("params"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGrid(t *testing.T) {
	env := steptest.NewEnv(t)
	data := putDataset(t, env, synthData(800, 16, 1))
	out, err := env.Run(Kind{}, map[string]cty.Value{
		"data": data,
		"space": obj(map[string]cty.Value{
			"C":            nums(0.01, 0.1, 1, 10),
			"class_weight": strs("none", "balanced"),
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := out["n_trials"]; !n.Equals(cty.NumberIntVal(8)).True() {
		t.Errorf("n_trials = %v, want 8", n.GoString())
	}
	table, _ := readTrials(t, env, out["trials"])
	if len(table.Trials) != 8 || table.Folds != 5 || table.Metric != "f1" || table.Strategy != "grid" || table.Rows != 800 {
		t.Fatalf("table: %d trials, %d folds, metric %s, strategy %s, %d rows", len(table.Trials), table.Folds, table.Metric, table.Strategy, table.Rows)
	}
	// Grid order: keys sorted (C, class_weight), the last fastest.
	var got []string
	for _, row := range table.Trials {
		p := trialParams(t, row)
		got = append(got, describe(p))
		if len(row.Scores) != 5 || len(row.Passes) != 5 || len(row.WarmStart) != 5 {
			t.Errorf("trial %d: %d scores, %d passes, %d warm starts; want 5 each", row.Trial, len(row.Scores), len(row.Passes), len(row.WarmStart))
		}
		mean, std := meanStd(row.Scores)
		if mean != row.Mean || std != row.Std {
			t.Errorf("trial %d: mean ± std %g ± %g, scores give %g ± %g", row.Trial, row.Mean, row.Std, mean, std)
		}
	}
	want := []string{
		"C=0.01, penalty=l2", "C=0.01, penalty=l2, class_weight=balanced",
		"C=0.1, penalty=l2", "C=0.1, penalty=l2, class_weight=balanced",
		"C=1, penalty=l2", "C=1, penalty=l2, class_weight=balanced",
		"C=10, penalty=l2", "C=10, penalty=l2, class_weight=balanced",
	}
	if !slices.Equal(got, want) {
		t.Errorf("trials:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Warm starts along C: C=1 balanced (trial 6) starts from C=0.1
	// balanced (trial 4).
	if ws := table.Trials[5].WarmStart[0]; ws == nil || *ws != 4 {
		t.Errorf("trial 6 warm start %v, want trial 4", ws)
	}

	// best is the best row's parameters, and its score.
	best := table.Trials[table.BestTrial-1]
	if best.Rank != 1 {
		t.Errorf("best trial %d has rank %d", best.Trial, best.Rank)
	}
	for _, row := range table.Trials {
		if row.Mean > best.Mean {
			t.Errorf("trial %d scores %g, above the best's %g", row.Trial, row.Mean, best.Mean)
		}
	}
	bf, _ := out["best_score"].AsBigFloat().Float64()
	bs, _ := out["best_std"].AsBigFloat().Float64()
	if bf != best.Mean || bs != best.Std {
		t.Errorf("best_score ± best_std = %g ± %g, table says %g ± %g", bf, bs, best.Mean, best.Std)
	}
	p, err := lrconfig.Decode(out["best"], cty.GetAttrPath("params"))
	if err != nil {
		t.Fatal(err)
	}
	if p != trialParams(t, best) {
		t.Errorf("best decodes to %+v, the best trial is %+v", p, trialParams(t, best))
	}

	// train takes best as its params.
	tout, err := env.Run(train.Kind{}, map[string]cty.Value{"data": data, "params": out["best"]})
	if err != nil {
		t.Fatal(err)
	}
	m, err := logreg.DecodeModel(bytes.NewReader(env.Read(tout["model"])))
	if err != nil {
		t.Fatal(err)
	}
	if m.Params != p {
		t.Errorf("train used %+v, want %+v", m.Params, p)
	}
	if len(env.Reports()) == 0 {
		t.Error("no progress reported")
	}
}

func TestDeterministic(t *testing.T) {
	ds := synthData(700, 16, 2)
	attrs := func(data cty.Value, par int) map[string]cty.Value {
		return map[string]cty.Value{
			"data":     data,
			"strategy": cty.StringVal("random"),
			"trials":   cty.NumberIntVal(6),
			"seed":     cty.NumberIntVal(3),
			"metric":   cty.StringVal("roc_auc"),
			"space": obj(map[string]cty.Value{
				"C":       dist("loguniform", 1e-3, 1e2),
				"penalty": strs("l2", "l1"),
			}),
			"parallelism": cty.NumberIntVal(int64(par)),
		}
	}
	var first steps.Outputs
	for _, par := range []int{1, 4} {
		env := steptest.NewEnv(t, steptest.Parallelism(4))
		out, err := env.Run(Kind{}, attrs(putDataset(t, env, ds), par))
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = out
			continue
		}
		for name, v := range out {
			if !v.RawEquals(first[name]) {
				t.Errorf("parallelism %d: output %s is %#v, was %#v", par, name, v, first[name])
			}
		}
	}
}

func TestRandom(t *testing.T) {
	env := steptest.NewEnv(t)
	data := putDataset(t, env, synthData(600, 16, 4))
	run := func(seed int64) *TrialsFile {
		out, err := env.Run(Kind{}, map[string]cty.Value{
			"data":     data,
			"strategy": cty.StringVal("random"),
			"trials":   cty.NumberIntVal(7),
			"folds":    cty.NumberIntVal(3),
			"seed":     cty.NumberIntVal(seed),
			"metric":   cty.StringVal("log_loss"),
			"space": obj(map[string]cty.Value{
				"C":            dist("loguniform", 1e-2, 1e1),
				"penalty":      strs("l2", "elasticnet"),
				"l1_ratio":     dist("uniform", 0.2, 0.8),
				"class_weight": cty.StringVal("balanced"),
			}),
		})
		if err != nil {
			t.Fatal(err)
		}
		table, _ := readTrials(t, env, out["trials"])
		if len(table.Trials) != 7 || table.Folds != 3 || !table.LowerIsBetter {
			t.Fatalf("%d trials, %d folds, lower is better %t", len(table.Trials), table.Folds, table.LowerIsBetter)
		}
		for _, row := range table.Trials {
			if row.Mean < table.Trials[table.BestTrial-1].Mean {
				t.Errorf("trial %d's log loss %g beats the best's", row.Trial, row.Mean)
			}
		}
		return table
	}
	a, b, c := run(1), run(1), run(2)
	sawEN, sawL2 := false, false
	for i, row := range a.Trials {
		p := trialParams(t, row)
		if p.C < 1e-2 || p.C > 1e1 {
			t.Errorf("trial %d: C = %g outside [0.01, 10]", row.Trial, p.C)
		}
		if p.ClassWeight.Kind != logreg.Balanced {
			t.Errorf("trial %d: class_weight %s, want the fixed balanced", row.Trial, p.ClassWeight)
		}
		switch p.Penalty {
		case logreg.ElasticNet:
			sawEN = true
			if p.L1Ratio < 0.2 || p.L1Ratio > 0.8 {
				t.Errorf("trial %d: l1_ratio = %g outside [0.2, 0.8]", row.Trial, p.L1Ratio)
			}
		case logreg.L2:
			sawL2 = true
		}
		if !bytes.Equal(row.Params, b.Trials[i].Params) {
			t.Errorf("trial %d: the same seed drew %s and %s", row.Trial, row.Params, b.Trials[i].Params)
		}
	}
	if !sawEN || !sawL2 {
		t.Errorf("7 trials drew elasticnet %t, l2 %t: want both", sawEN, sawL2)
	}
	if bytes.Equal(a.Trials[0].Params, c.Trials[0].Params) {
		t.Error("another seed drew the same first trial")
	}
}

// The sampler draws within bounds, log-uniformly for loguniform.
func TestSampleDistributions(t *testing.T) {
	s, errs := parseSpace(obj(map[string]cty.Value{
		"C":        dist("loguniform", 1e-3, 1e2),
		"l1_ratio": dist("uniform", 0.25, 0.75),
		"penalty":  cty.StringVal("elasticnet"),
	}), Random, false)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	const n = 20000
	points, _ := s.sample(n, 42)
	var logC, ratio []float64
	for _, p := range points {
		c, _ := p["C"].AsBigFloat().Float64()
		r, _ := p["l1_ratio"].AsBigFloat().Float64()
		if c < 1e-3 || c > 1e2 || r < 0.25 || r >= 0.75 {
			t.Fatalf("C = %g, l1_ratio = %g out of bounds", c, r)
		}
		logC = append(logC, math.Log10(c))
		ratio = append(ratio, r)
	}
	// log10 C is uniform on [-3, 2]: each unit interval gets a fifth.
	for lo := -3.0; lo < 2; lo++ {
		k := 0
		for _, v := range logC {
			if v >= lo && v < lo+1 {
				k++
			}
		}
		if frac := float64(k) / n; math.Abs(frac-0.2) > 0.015 {
			t.Errorf("log10 C in [%g, %g): %.3f of draws, want 0.2", lo, lo+1, frac)
		}
	}
	mean, std := meanStd(ratio)
	if math.Abs(mean-0.5) > 0.005 || math.Abs(std-0.5/math.Sqrt(12)) > 0.005 {
		t.Errorf("l1_ratio mean %g, std %g; want 0.5 and %g", mean, std, 0.5/math.Sqrt(12))
	}
}

func TestUnionAndL1Ratio(t *testing.T) {
	env := steptest.NewEnv(t)
	data := putDataset(t, env, synthData(500, 12, 5))
	out, err := env.Run(Kind{}, map[string]cty.Value{
		"data":  data,
		"folds": cty.NumberIntVal(3),
		"space": cty.TupleVal([]cty.Value{
			obj(map[string]cty.Value{"penalty": strs("l2", "l1"), "C": nums(0.1, 1)}),
			obj(map[string]cty.Value{
				"penalty":  strs("none", "elasticnet"),
				"l1_ratio": nums(0.2, 0.8),
				"C":        cty.NumberIntVal(1),
			}),
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	table, _ := readTrials(t, env, out["trials"])
	var got []string
	for _, row := range table.Trials {
		got = append(got, describe(trialParams(t, row)))
	}
	want := []string{
		"C=0.1, penalty=l2", "C=0.1, penalty=l1", "C=1, penalty=l2", "C=1, penalty=l1",
		// l1_ratio multiplies only elasticnet.
		"C=1, penalty=none", "C=1, penalty=elasticnet, l1_ratio=0.2", "C=1, penalty=elasticnet, l1_ratio=0.8",
	}
	if !slices.Equal(got, want) {
		t.Errorf("trials:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A random search over lists only draws without replacement, and runs the
// whole grid once when asked for more trials than it has.
func TestRandomListsOnly(t *testing.T) {
	env := steptest.NewEnv(t)
	data := putDataset(t, env, synthData(400, 12, 6))
	attrs := map[string]cty.Value{
		"data":     data,
		"strategy": cty.StringVal("random"),
		"trials":   cty.NumberIntVal(4),
		"folds":    cty.NumberIntVal(2),
		"space":    obj(map[string]cty.Value{"C": nums(0.1, 1, 10), "class_weight": strs("none", "balanced")}),
	}
	out, err := env.Run(Kind{}, attrs)
	if err != nil {
		t.Fatal(err)
	}
	table, _ := readTrials(t, env, out["trials"])
	seen := map[string]bool{}
	for _, row := range table.Trials {
		if seen[string(row.Params)] {
			t.Errorf("trial %d repeats %s", row.Trial, row.Params)
		}
		seen[string(row.Params)] = true
	}
	if len(seen) != 4 || len(env.Warnings()) != 0 {
		t.Errorf("%d distinct trials, %d warnings; want 4 and none", len(seen), len(env.Warnings()))
	}

	attrs["trials"] = cty.NumberIntVal(10)
	out, err = env.Run(Kind{}, attrs)
	if err != nil {
		t.Fatal(err)
	}
	if n := out["n_trials"]; !n.Equals(cty.NumberIntVal(6)).True() {
		t.Errorf("n_trials = %#v, want the grid's 6", n)
	}
	if w := env.Warnings(); len(w) != 1 || !strings.Contains(w[0].Detail, "only 6 combinations") {
		t.Errorf("warnings %+v, want one about the 6 combinations", w)
	}
}

func TestTooManyFolds(t *testing.T) {
	env := steptest.NewEnv(t)
	ds := synthData(300, 8, 7)
	// Keep 4 positives.
	kept := 0
	for i, y := range ds.Y {
		if y == 1 {
			if kept >= 4 {
				ds.Y[i] = 0
			}
			kept++
		}
	}
	data := putDataset(t, env, ds)
	_, err := env.Run(Kind{}, map[string]cty.Value{
		"data":  data,
		"space": obj(map[string]cty.Value{"C": nums(1)}),
	})
	var ae *steps.AttrError
	if !errors.As(err, &ae) || steps.FormatPath(ae.Path) != "folds" || !strings.Contains(ae.Detail, "only 4 rows of class 1") {
		t.Fatalf("got %v, want an error at folds about the 4 positives", err)
	}
	t.Log(err)
	if _, err := env.Run(Kind{}, map[string]cty.Value{
		"data":  data,
		"folds": cty.NumberIntVal(4),
		"space": obj(map[string]cty.Value{"C": nums(1)}),
	}); err != nil {
		t.Errorf("4 folds for 4 positives: %v", err)
	}
}

func TestOneClass(t *testing.T) {
	env := steptest.NewEnv(t)
	ds := synthData(100, 8, 8)
	clear(ds.Y)
	_, err := env.Run(Kind{}, map[string]cty.Value{
		"data":  putDataset(t, env, ds),
		"space": obj(map[string]cty.Value{"C": nums(1)}),
	})
	var ae *steps.AttrError
	if !errors.As(err, &ae) || steps.FormatPath(ae.Path) != "data" || ae.Summary != "Only one class" {
		t.Fatalf("got %v, want an error at data about one class", err)
	}
	t.Log(err)
}

func TestValidate(t *testing.T) {
	unknownData := cty.UnknownVal(steps.ArtifactType)
	type attrs = map[string]cty.Value
	for _, tc := range []struct {
		name    string
		attrs   attrs
		path    string // "" for no error
		summary string
	}{
		{"fine grid", attrs{"space": obj(map[string]cty.Value{"C": nums(0.1, 1), "penalty": strs("l2", "l1")})}, "", ""},
		{"fine random", attrs{"strategy": cty.StringVal("random"), "trials": cty.NumberIntVal(5),
			"space": obj(map[string]cty.Value{"C": dist("loguniform", 1e-3, 1e2)})}, "", ""},
		{"unknown space", attrs{"space": cty.DynamicVal}, "", ""},
		{"unknown value", attrs{"space": obj(map[string]cty.Value{"C": cty.UnknownVal(cty.Number), "penalty": strs("l2")})}, "", ""},
		{"class weight map", attrs{"space": obj(map[string]cty.Value{"class_weight": cty.TupleVal([]cty.Value{
			cty.StringVal("none"), obj(map[string]cty.Value{"0": cty.NumberIntVal(1), "1": cty.NumberIntVal(3)})})})}, "", ""},
		{"null in list", attrs{"space": obj(map[string]cty.Value{"class_weight": cty.TupleVal([]cty.Value{cty.NullVal(cty.String), cty.StringVal("balanced")})})}, "", ""},
		{"map space", attrs{"space": cty.MapVal(map[string]cty.Value{"C": cty.ListVal([]cty.Value{cty.NumberIntVal(1)})})}, "", ""},
		{"elasticnet mixed", attrs{"space": obj(map[string]cty.Value{"penalty": strs("l2", "elasticnet"), "l1_ratio": nums(0.5)})}, "", ""},

		{"empty object", attrs{"space": cty.EmptyObjectVal}, "space", "Empty search space"},
		{"empty list", attrs{"space": cty.EmptyTupleVal}, "space", "Empty search space"},
		{"empty sub-grid", attrs{"space": cty.TupleVal([]cty.Value{obj(map[string]cty.Value{"C": nums(1)}), cty.EmptyObjectVal})}, "space[1]", "Empty search space"},
		{"empty values", attrs{"space": obj(map[string]cty.Value{"C": cty.EmptyTupleVal})}, "space.C", "No values"},
		{"not an object", attrs{"space": cty.StringVal("C")}, "space", "Invalid search space"},
		{"sub-grid not an object", attrs{"space": cty.TupleVal([]cty.Value{cty.StringVal("C")})}, "space[0]", "Invalid search space"},
		{"C not positive", attrs{"space": obj(map[string]cty.Value{"C": nums(1, 0)})}, "space.C[1]", "Invalid C"},
		{"C scalar", attrs{"space": obj(map[string]cty.Value{"C": cty.NumberIntVal(-2)})}, "space.C", "Invalid C"},
		{"unknown key", attrs{"space": obj(map[string]cty.Value{"c": nums(1)})}, "space.c", "Unknown parameter"},
		{"bad penalty", attrs{"space": obj(map[string]cty.Value{"penalty": strs("l2", "l3")})}, "space.penalty[1]", "Unknown penalty"},
		{"bad class", attrs{"space": obj(map[string]cty.Value{"class_weight": cty.TupleVal([]cty.Value{
			obj(map[string]cty.Value{"2": cty.NumberIntVal(1)})})})}, `space.class_weight[0]["2"]`, "Unknown class"},
		{"l1_ratio without elasticnet", attrs{"space": obj(map[string]cty.Value{"l1_ratio": nums(0.5)})}, "space.l1_ratio", "l1_ratio without elasticnet"},
		{"l1_ratio in a sub-grid", attrs{"space": cty.TupleVal([]cty.Value{
			obj(map[string]cty.Value{"C": nums(1)}),
			obj(map[string]cty.Value{"penalty": strs("l1"), "l1_ratio": nums(0.5)}),
		})}, "space[1].l1_ratio", "l1_ratio without elasticnet"},
		{"elasticnet without l1_ratio", attrs{"space": obj(map[string]cty.Value{"penalty": strs("l1", "elasticnet")})}, "space.penalty[1]", "Missing l1_ratio"},
		{"elasticnet with a null l1_ratio", attrs{"space": obj(map[string]cty.Value{"penalty": strs("elasticnet"),
			"l1_ratio": cty.TupleVal([]cty.Value{cty.NumberFloatVal(0.5), cty.NullVal(cty.Number)})})}, "space.l1_ratio[1]", "Missing l1_ratio"},
		{"l1_ratio out of range", attrs{"space": obj(map[string]cty.Value{"penalty": strs("elasticnet"), "l1_ratio": nums(0.5, 1.5)})}, "space.l1_ratio[1]", "Invalid l1_ratio"},
		{"distribution in a grid", attrs{"space": obj(map[string]cty.Value{"C": dist("loguniform", 1e-3, 1)})}, "space.C", "Distribution in a grid search"},
		{"distribution in a list", attrs{"strategy": cty.StringVal("random"), "space": obj(map[string]cty.Value{"C": cty.TupleVal([]cty.Value{dist("loguniform", 1e-3, 1)})})}, "space.C[0]", "Distribution in a list"},
		{"uniform C from zero", attrs{"strategy": cty.StringVal("random"), "space": obj(map[string]cty.Value{"C": dist("uniform", 0, 10)})}, "space.C", "Invalid C"},
		{"distribution of max_iter", attrs{"strategy": cty.StringVal("random"), "space": obj(map[string]cty.Value{"max_iter": dist("uniform", 10, 100)})}, "space.max_iter", "Distribution not allowed"},
		{"l1_ratio distribution beyond 1", attrs{"strategy": cty.StringVal("random"), "space": obj(map[string]cty.Value{
			"penalty": cty.StringVal("elasticnet"), "l1_ratio": dist("uniform", 0.5, 2)})}, "space.l1_ratio", "Invalid l1_ratio"},
		{"bad distribution", attrs{"strategy": cty.StringVal("random"), "space": obj(map[string]cty.Value{"C": dist("normal", 1, 2)})}, "space.C", "Invalid distribution"},
		{"bare distribution", attrs{"strategy": cty.StringVal("random"), "space": dist("loguniform", 1, 2)}, "space", "Distribution without a parameter"},
		{"grid too large", attrs{"space": obj(map[string]cty.Value{
			"C": ones(50), "tol": ones(50), "max_iter": ones(50), "class_weight": strs("none", "balanced"),
			"fit_intercept": cty.TupleVal([]cty.Value{cty.True, cty.False}), "standardize": cty.TupleVal([]cty.Value{cty.True, cty.False}),
			"penalty": strs("l2", "l1", "none")})}, "space", "Search space too large"},

		{"one fold", attrs{"folds": cty.NumberIntVal(1), "space": obj(map[string]cty.Value{"C": nums(1)})}, "folds", "Invalid folds"},
		{"fractional folds", attrs{"folds": cty.NumberFloatVal(2.5), "space": obj(map[string]cty.Value{"C": nums(1)})}, "folds", "Invalid folds"},
		{"metric", attrs{"metric": cty.StringVal("f2"), "space": obj(map[string]cty.Value{"C": nums(1)})}, "metric", "Unknown metric"},
		{"strategy", attrs{"strategy": cty.StringVal("bayes"), "space": obj(map[string]cty.Value{"C": nums(1)})}, "strategy", "Unknown strategy"},
		{"trials with grid", attrs{"trials": cty.NumberIntVal(5), "space": obj(map[string]cty.Value{"C": nums(1)})}, "trials", "trials without random search"},
		{"no trials", attrs{"strategy": cty.StringVal("random"), "trials": cty.NumberIntVal(0), "space": obj(map[string]cty.Value{"C": nums(1)})}, "trials", "Invalid trials"},
		{"negative seed", attrs{"seed": cty.NumberIntVal(-1), "space": obj(map[string]cty.Value{"C": nums(1)})}, "seed", "Invalid seed"},
		{"parallelism", attrs{"parallelism": cty.NumberIntVal(0), "space": obj(map[string]cty.Value{"C": nums(1)})}, "parallelism", "Invalid parallelism"},
		{"not a dataset", attrs{"data": steps.Artifact{Digest: "sha256:" + strings.Repeat("a", 64), MediaType: media.Model.Type, Size: 1}.Value(),
			"space": obj(map[string]cty.Value{"C": nums(1)})}, "data", "Wrong kind of artifact"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := tc.attrs["data"]; !ok {
				tc.attrs["data"] = unknownData
			}
			errs := steptest.Validate(t, Kind{}, tc.attrs)
			if tc.path == "" {
				if len(errs) > 0 {
					t.Fatalf("unexpected errors: %v", errs)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("got %d errors %v, want one at %s", len(errs), errs, tc.path)
			}
			if got := steps.FormatPath(errs[0].Path); got != tc.path || errs[0].Summary != tc.summary {
				t.Errorf("got %q at %s, want %q at %s", errs[0].Summary, got, tc.summary, tc.path)
			}
			if errs[0].Detail == "" || strings.HasSuffix(errs[0].Summary, ".") {
				t.Errorf("summary %q, detail %q: want a summary without a full stop and a detail", errs[0].Summary, errs[0].Detail)
			}
			t.Log(errs[0])
		})
	}
}

func TestMetricSuggestion(t *testing.T) {
	errs := steptest.Validate(t, Kind{}, map[string]cty.Value{
		"data":   cty.UnknownVal(steps.ArtifactType),
		"metric": cty.StringVal("auc"),
		"space":  obj(map[string]cty.Value{"C": nums(1)}),
	})
	if len(errs) != 1 || !strings.Contains(errs[0].Detail, `Did you mean "roc_auc"?`) {
		t.Fatalf("got %v", errs)
	}
}

// ctyjsonUnmarshal reads a JSON object as the cty value it describes.
func ctyjsonUnmarshal(b []byte) (cty.Value, error) {
	ty, err := ctyjson.ImpliedType(b)
	if err != nil {
		return cty.NilVal, err
	}
	return ctyjson.Unmarshal(b, ty)
}

// A fold whose training rows give a class no weight cannot be fitted: the
// error is at data and names the trial and fold.
func TestFitFailure(t *testing.T) {
	env := steptest.NewEnv(t)
	ds := synthData(400, 8, 9)
	folds, err := StratifiedKFold(ds.Y, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	ds.W = make([]float64, ds.N)
	for i := range ds.W {
		// Only the positives held out by fold 2 weigh anything.
		if ds.Y[i] == 0 || folds.Assign[i] == 1 {
			ds.W[i] = 1
		}
	}
	_, err = env.Run(Kind{}, map[string]cty.Value{
		"data":  putDataset(t, env, ds),
		"folds": cty.NumberIntVal(3),
		"space": obj(map[string]cty.Value{"C": nums(1)}),
	})
	var ae *steps.AttrError
	if !errors.As(err, &ae) || steps.FormatPath(ae.Path) != "data" || !strings.HasPrefix(ae.Detail, "Trial 1 (C=1, penalty=l2), fold 2 of 3: ") {
		t.Fatalf("got %v, want an error at data for trial 1, fold 2", err)
	}
	t.Log(err)
}
