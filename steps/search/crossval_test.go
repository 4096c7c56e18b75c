package search

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"

	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
)

// smallProblem is a quick cross-validation on generated embeddings.
func smallProblem(t testing.TB, n, dim int, cands []logreg.Params, m Metric) *Problem {
	t.Helper()
	g := synth.Generate(synth.Config{N: n, Dim: dim, Seed: 5})
	folds, err := StratifiedKFold(g.Y, 5, 9)
	if err != nil {
		t.Fatal(err)
	}
	return &Problem{
		Data:       &logreg.Data{X: g.X, N: g.N, D: g.Dim, Y: g.LabelsFloat64()},
		Folds:      folds,
		Candidates: cands,
		Metric:     m,
	}
}

func params(pen logreg.Penalty, c float64, cw logreg.ClassWeightKind) logreg.Params {
	p := logreg.DefaultParams()
	p.Penalty, p.C, p.ClassWeight.Kind = pen, c, cw
	if pen == logreg.ElasticNet {
		p.L1Ratio = 0.5
	}
	return p
}

// gridCandidates is C × class_weight × penalty, C varying fastest.
func gridCandidates() []logreg.Params {
	var out []logreg.Params
	for _, pen := range []logreg.Penalty{logreg.L2, logreg.L1} {
		for _, cw := range []logreg.ClassWeightKind{logreg.Unweighted, logreg.Balanced} {
			for _, c := range []float64{10, 0.01, 1, 0.1} {
				out = append(out, params(pen, c, cw))
			}
		}
	}
	return out
}

func TestCrossValidateDeterministic(t *testing.T) {
	p := smallProblem(t, 3000, 48, gridCandidates(), F1)
	var first *Result
	for _, par := range []int{1, 4, 2} {
		res, err := CrossValidate(context.Background(), p, &Settings{Parallelism: par})
		if err != nil {
			t.Fatal(err)
		}
		for i := range res.Trials {
			for f := range res.Trials[i].Folds {
				res.Trials[i].Folds[f].Duration = 0
			}
		}
		res.Duration = 0
		if first == nil {
			first = res
			continue
		}
		if !reflect.DeepEqual(res, first) {
			t.Fatalf("parallelism %d gave another result", par)
		}
	}
	if first.Fits != 16*5 || len(first.Trials) != 16 {
		t.Errorf("%d fits, %d trials; want 80 and 16", first.Fits, len(first.Trials))
	}
	// The paths: 10 is warm-started from 1, 1 from 0.1, 0.1 from 0.01.
	if ws := first.Trials[0].Folds[2].WarmStart; ws != 2 {
		t.Errorf("C=10 started from trial %d, want 2 (C=1)", ws)
	}
	if ws := first.Trials[1].Folds[0].WarmStart; ws != -1 {
		t.Errorf("C=0.01 started from trial %d, want a cold start", ws)
	}
	if ws := first.Trials[14].Folds[4].WarmStart; ws != 15 {
		t.Errorf("l1 balanced C=1 (trial 14) started from trial %d, want 15 (C=0.1)", ws)
	}
}

// Warm starts must not change the answer: every fit reaches the same
// objective as from a cold start, to the fits' tolerance, and the same
// trial wins.
func TestWarmStartSameAnswer(t *testing.T) {
	cands := gridCandidates()
	for _, c := range []float64{0.1, 1} {
		p := params(logreg.L2, c, logreg.Unweighted)
		p.Standardize = true // the path shares the standardisation
		cands = append(cands, p)
	}
	p := smallProblem(t, 3000, 48, cands, ROCAUC)
	warm, err := CrossValidate(context.Background(), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	cold, err := CrossValidate(context.Background(), p, &Settings{ColdStart: true})
	if err != nil {
		t.Fatal(err)
	}
	if warm.Best != cold.Best {
		t.Errorf("best trial %d warm, %d cold", warm.Best, cold.Best)
	}
	for i := range warm.Trials {
		w, c := warm.Trials[i], cold.Trials[i]
		for f := range w.Folds {
			if c.Folds[f].WarmStart != -1 {
				t.Fatalf("cold start used a warm start")
			}
			if !scalar.EqualWithinAbsOrRel(w.Folds[f].Objective, c.Folds[f].Objective, 1e-9, 1e-6) {
				t.Errorf("trial %d fold %d: objective %.12g warm, %.12g cold", i, f, w.Folds[f].Objective, c.Folds[f].Objective)
			}
		}
		if !scalar.EqualWithinAbsOrRel(w.Mean, c.Mean, 1e-4, 1e-4) {
			t.Errorf("trial %d: mean score %.8g warm, %.8g cold", i, w.Mean, c.Mean)
		}
	}
	if warm.Evaluations >= cold.Evaluations {
		t.Errorf("warm starts took %d passes, cold %d: no saving", warm.Evaluations, cold.Evaluations)
	}
	t.Logf("passes: warm %d, cold %d", warm.Evaluations, cold.Evaluations)
}

func TestCrossValidateDuplicatesAndRanks(t *testing.T) {
	none := logreg.DefaultParams()
	none.Penalty = logreg.NoPenalty
	none2 := none
	none2.C = 5 // ignored without a penalty: the same fit
	cands := []logreg.Params{params(logreg.L2, 1, 0), none, params(logreg.L2, 1, 0), none2}
	p := smallProblem(t, 1500, 32, cands, LogLoss)
	res, err := CrossValidate(context.Background(), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Fits != 2*5 {
		t.Errorf("%d fits, want 10 (two distinct candidates)", res.Fits)
	}
	if res.Trials[0].Mean != res.Trials[2].Mean || res.Trials[1].Mean != res.Trials[3].Mean {
		t.Error("duplicates scored differently")
	}
	if res.Trials[0].Rank != res.Trials[2].Rank || res.Trials[1].Rank != res.Trials[3].Rank {
		t.Error("equal means ranked differently")
	}
	best := res.Trials[res.Best]
	if best.Rank != 1 {
		t.Errorf("best trial has rank %d", best.Rank)
	}
	for _, tr := range res.Trials {
		if tr.Mean < best.Mean {
			t.Errorf("log loss %g beats the best's %g", tr.Mean, best.Mean)
		}
	}
	if res.Best != 0 && res.Best != 1 {
		t.Errorf("best is trial %d, want the first of equals", res.Best)
	}
}

func TestCrossValidateErrors(t *testing.T) {
	p := smallProblem(t, 500, 16, []logreg.Params{params(logreg.L2, 1, 0)}, F1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := CrossValidate(ctx, p, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v", err)
	}
	bad := *p
	bad.Candidates = []logreg.Params{params(logreg.L2, 1, 0), {C: -1}}
	if _, err := CrossValidate(context.Background(), &bad, nil); err == nil {
		t.Error("invalid candidate: no error")
	}
	// Only the positives held out in fold 2 weigh anything, so fold 2's
	// training rows have no weight in class 1: its fit fails, and the
	// error names the trial and fold.
	w := make([]float64, p.Data.N)
	for i := range w {
		if p.Data.Y[i] == 1 && p.Folds.Assign[i] != 2 {
			continue
		}
		w[i] = 1
	}
	weighted := *p
	data := *p.Data
	data.Weight = w
	weighted.Data = &data
	_, err := CrossValidate(context.Background(), &weighted, nil)
	var fe *FitError
	if !errors.As(err, &fe) || fe.Trial != 0 || fe.Fold != 2 {
		t.Fatalf("got %v, want a FitError for trial 0, fold 2", err)
	}
	t.Log(err)
}
