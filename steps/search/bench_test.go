package search

import (
	"context"
	"sync"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
	"github.com/pipe-ml/pipe/steps/steptest"
)

// The benchmarks run on the privacy-intent shape, 100k unit-norm rows of
// 584 float32 features, about 30% positive (steps/shared/dataset/synth with
// seed 1, the data of steps/shared/logreg's benchmarks and of bench/), with
// scikit-learn's timings on the same machine for comparison:
//
//	go test -run - -bench 'Grid8x5|Random16x5' -benchtime 1x ./steps/search
//
// The searches are those of bench/: BenchmarkGrid8x5 is 4 C × 2
// class weights (scikit-learn 1.2.1's GridSearchCV with lbfgs: about 92 s
// on 2 cores), BenchmarkRandom16x5 16 draws of loguniform C × {l2, l1} ×
// class weights (RandomizedSearchCV with saga: about 164 s).
const benchN, benchD = 100_000, 584

type benchSet struct {
	data  *logreg.Data
	folds *Folds
}

var benchData = sync.OnceValue(func() benchSet { return makeBenchSet(benchN, benchD) })

func makeBenchSet(n, d int) benchSet {
	g := synth.Generate(synth.Config{N: n, Dim: d, Seed: 1})
	folds, err := StratifiedKFold(g.Y, 5, 7)
	if err != nil {
		panic(err)
	}
	return benchSet{data: &logreg.Data{X: g.X, N: n, D: d, Y: g.LabelsFloat64()}, folds: folds}
}

// BenchGridSpace and benchRandomSpace are the spaces of bench/.
func benchGridSpace() cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"C":            cty.TupleVal([]cty.Value{cty.NumberFloatVal(0.01), cty.NumberFloatVal(0.1), cty.NumberFloatVal(1), cty.NumberFloatVal(10)}),
		"class_weight": cty.TupleVal([]cty.Value{cty.StringVal("none"), cty.StringVal("balanced")}),
	})
}

func benchRandomSpace() cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"C":            dist("loguniform", 1e-3, 1e2),
		"penalty":      cty.TupleVal([]cty.Value{cty.StringVal("l2"), cty.StringVal("l1")}),
		"class_weight": cty.TupleVal([]cty.Value{cty.StringVal("none"), cty.StringVal("balanced")}),
	})
}

func benchmarkSearch(b *testing.B, set benchSet, space cty.Value, strategy string, trials int, s *Settings) {
	cands, _, err := Candidates(space, strategy, trials, 7)
	if err != nil {
		b.Fatal(err)
	}
	p := &Problem{Data: set.data, Folds: set.folds, Candidates: cands, Metric: F1}
	var res *Result
	for b.Loop() {
		res, err = CrossValidate(context.Background(), p, s)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(res.Evaluations), "passes")
	b.ReportMetric(res.Trials[res.Best].Mean, "best_f1")
}

// BenchmarkGrid8x5 is an 8-trial grid with 5 folds on 100k × 584.
func BenchmarkGrid8x5(b *testing.B) {
	benchmarkSearch(b, benchData(), benchGridSpace(), Grid, 0, nil)
}

// BenchmarkRandom16x5 is a 16-trial random search with 5 folds on 100k ×
// 584.
func BenchmarkRandom16x5(b *testing.B) {
	benchmarkSearch(b, benchData(), benchRandomSpace(), Random, 16, nil)
}

var smallBenchData = sync.OnceValue(func() benchSet { return makeBenchSet(10_000, benchD) })

// BenchmarkGridSmall is the grid on 10k rows, warm and cold, for quick
// comparisons.
func BenchmarkGridSmall(b *testing.B) {
	b.Run("warm", func(b *testing.B) { benchmarkSearch(b, smallBenchData(), benchGridSpace(), Grid, 0, nil) })
	b.Run("cold", func(b *testing.B) {
		benchmarkSearch(b, smallBenchData(), benchGridSpace(), Grid, 0, &Settings{ColdStart: true})
	})
}

// BenchmarkStratifiedKFold splits 100k rows.
func BenchmarkStratifiedKFold(b *testing.B) {
	g := synth.Generate(synth.Config{N: benchN, Dim: 8, Seed: 1})
	for b.Loop() {
		if _, err := StratifiedKFold(g.Y, 5, 7); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMargins scores one fold's held-out rows.
func BenchmarkMargins(b *testing.B) {
	set := smallBenchData()
	test := set.folds.Test(0)
	w := make([]float64, benchD)
	for j := range w {
		w[j] = float64(j%7-3) * 0.1
	}
	b.SetBytes(int64(len(test)) * benchD * 4)
	for b.Loop() {
		margins(set.data, test, w, 0.1, nil)
	}
}

// BenchmarkRun is the whole step (reading the dataset artifact from a
// mem:// store included) on 20k × 584 with a 4-trial grid.
func BenchmarkRun(b *testing.B) {
	env := steptest.NewEnv(b)
	data := putDataset(b, env, synthData(20_000, benchD, 1))
	attrs := map[string]cty.Value{
		"data": data,
		"space": cty.ObjectVal(map[string]cty.Value{
			"C":            cty.TupleVal([]cty.Value{cty.NumberFloatVal(0.1), cty.NumberFloatVal(1)}),
			"class_weight": cty.TupleVal([]cty.Value{cty.StringVal("none"), cty.StringVal("balanced")}),
		}),
	}
	for b.Loop() {
		if _, err := env.Run(Kind{}, attrs); err != nil {
			b.Fatal(err)
		}
	}
}
