package search

import (
	"encoding/json"
	"fmt"
	"io"

	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/pipe-ml/pipe/steps/shared/lrconfig"
)

// TrialsFormat identifies the JSON encoding of the trials artifact
// (media type media.Trials.Type) and its version.
const TrialsFormat = "pipe.search.trials/v1"

// TrialsFile is the trials artifact: a table with one row per trial.
//
// It holds no wall-clock times, so that the same inputs give the same
// bytes on any machine and with any parallelism (the cache relies on it);
// the work each fit did is in Iterations and Passes, and the step logs
// fit times instead. Trial numbers count from 1, in trial order (the
// grid's order, or the order drawn).
type TrialsFile struct {
	Format        string `json:"format"`
	Strategy      string `json:"strategy"`
	Metric        string `json:"metric"`
	LowerIsBetter bool   `json:"lower_is_better"`
	Folds         int    `json:"folds"`
	Seed          uint64 `json:"seed"`
	// Rows is the number of rows cross-validated; TestRows the number
	// held out in each fold.
	Rows     int   `json:"rows"`
	TestRows []int `json:"test_rows"`
	// BestTrial is the number of the best trial.
	BestTrial int        `json:"best_trial"`
	Trials    []TrialRow `json:"trials"`
}

// TrialRow is one trial. Per-fold fields hold one entry per fold, in
// fold order.
type TrialRow struct {
	Trial int `json:"trial"`
	// Params are the trial's parameters in lrconfig's canonical form.
	Params json.RawMessage `json:"params"`
	// Scores are the metric on each fold's held-out rows; Mean and Std
	// their mean and population standard deviation; Rank 1 is the best.
	Scores []float64 `json:"scores"`
	Mean   float64   `json:"mean"`
	Std    float64   `json:"std"`
	Rank   int       `json:"rank"`
	// Objectives, Iterations, Passes (evaluations of the objective over
	// the fold's rows) and Converged describe each fold's fit.
	Objectives []float64 `json:"objectives"`
	Iterations []int     `json:"iterations"`
	Passes     []int     `json:"passes"`
	Converged  []bool    `json:"converged"`
	// WarmStart is, per fold, the trial whose solution the fit started
	// from, or null for a cold start.
	WarmStart []*int `json:"warm_start"`
}

// newTrialsFile tabulates a cross-validation's result over rows rows,
// whose folds held out testRows.
func newTrialsFile(c *config, rows int, testRows []int, res *Result) (*TrialsFile, error) {
	f := &TrialsFile{
		Format:        TrialsFormat,
		Strategy:      c.strategy,
		Metric:        string(c.metric),
		LowerIsBetter: c.metric.LowerIsBetter(),
		Folds:         len(testRows),
		Seed:          c.seed,
		Rows:          rows,
		TestRows:      testRows,
		BestTrial:     res.Best + 1,
		Trials:        make([]TrialRow, len(res.Trials)),
	}
	for i, t := range res.Trials {
		v := lrconfig.ToValue(t.Params)
		params, err := ctyjson.Marshal(v, v.Type())
		if err != nil {
			return nil, fmt.Errorf("search: encoding trial %d's parameters: %w", i+1, err)
		}
		row := TrialRow{
			Trial:  i + 1,
			Params: params,
			Scores: t.Scores(),
			Mean:   t.Mean,
			Std:    t.Std,
			Rank:   t.Rank,
		}
		for _, ff := range t.Folds {
			row.Objectives = append(row.Objectives, ff.Objective)
			row.Iterations = append(row.Iterations, ff.Iterations)
			row.Passes = append(row.Passes, ff.Evaluations)
			row.Converged = append(row.Converged, ff.Converged)
			var ws *int
			if ff.WarmStart >= 0 {
				n := ff.WarmStart + 1
				ws = &n
			}
			row.WarmStart = append(row.WarmStart, ws)
		}
		f.Trials[i] = row
	}
	return f, nil
}

// Encode writes f as indented JSON and a newline: the bytes of the trials
// artifact, the same for the same table.
func (f *TrialsFile) Encode(w io.Writer) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("search: encoding trials: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// DecodeTrials reads a trials artifact.
func DecodeTrials(r io.Reader) (*TrialsFile, error) {
	var f TrialsFile
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("search: decoding trials: %w", err)
	}
	if f.Format != TrialsFormat {
		return nil, fmt.Errorf("search: trials format is %q, this version reads %q", f.Format, TrialsFormat)
	}
	return &f, nil
}
