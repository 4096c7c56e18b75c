package search

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/lrconfig"
	"github.com/pipe-ml/pipe/steps/shared/media"
)

var _ steps.Summarizer = Kind{}

// Summarize summarises a trials table (media.Trials) for people, for
// pipe serve's page: the best score and trial; the trials, one row each
// with the parameters that vary between them, the metric's mean, spread
// and rank and each fold's score; and, when C varies, a chart of the mean
// metric against C (on a log scale), one series for each combination of
// the other parameters that vary (penalty and class weight), each point
// spanning its folds' lowest to highest score, the best trial marked.
// Other media types it does not describe.
func (Kind) Summarize(mediaType string, content []byte) (*steps.Summary, error) {
	if mediaType != media.Trials.Type {
		return nil, nil
	}
	f, err := DecodeTrials(bytes.NewReader(content))
	if err != nil {
		return nil, err
	}
	params := make([]map[string]json.RawMessage, len(f.Trials))
	for i, t := range f.Trials {
		if err := json.Unmarshal(t.Params, &params[i]); err != nil {
			return nil, fmt.Errorf("search: trial %d's parameters are not a JSON object: %w", t.Trial, err)
		}
	}
	varying := varyingParams(params)
	s := &steps.Summary{Tables: []steps.Table{trialsTable(f, params, varying)}}
	if best := f.BestTrial - 1; best >= 0 && best < len(f.Trials) {
		s.Metrics = []steps.Metric{{Name: "best " + f.Metric, Value: f.Trials[best].Mean}, {Name: "best trial", Value: float64(f.BestTrial)}}
	}
	if slices.Contains(varying, lrconfig.KeyC) {
		if c, ok := scoreByC(f, params, varying); ok {
			s.Charts = []steps.Chart{c}
		}
	}
	return s, nil
}

// varyingParams are the parameters whose value is not the same in every
// trial, C first, then by name.
func varyingParams(params []map[string]json.RawMessage) []string {
	var out []string
	if len(params) == 0 {
		return nil
	}
	for key := range params[0] {
		for _, p := range params[1:] {
			if !bytes.Equal(p[key], params[0][key]) {
				out = append(out, key)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i] == lrconfig.KeyC) != (out[j] == lrconfig.KeyC) {
			return out[i] == lrconfig.KeyC
		}
		return out[i] < out[j]
	})
	return out
}

// trialsTable is a row for each trial: its number, the parameters that
// vary, the mean score, its standard deviation, the rank, each fold's
// score, and whether every fold's fit converged.
func trialsTable(f *TrialsFile, params []map[string]json.RawMessage, varying []string) steps.Table {
	t := steps.Table{Name: "trials", Title: fmt.Sprintf("Trials (%s, %d folds)", f.Strategy, f.Folds), Marked: f.BestTrial - 1}
	t.Columns = append(t.Columns, steps.Column{Name: "trial", Title: "trial"})
	for _, p := range varying {
		t.Columns = append(t.Columns, steps.Column{Name: p, Title: p})
	}
	t.Columns = append(t.Columns, steps.Column{Name: "mean", Title: "mean " + f.Metric}, steps.Column{Name: "std", Title: "std"},
		steps.Column{Name: "rank", Title: "rank"})
	for k := range f.Folds {
		t.Columns = append(t.Columns, steps.Column{Name: "fold" + strconv.Itoa(k+1), Title: "fold " + strconv.Itoa(k+1)})
	}
	t.Columns = append(t.Columns, steps.Column{Name: "converged", Title: "converged"})
	for i, tr := range f.Trials {
		row := []steps.Cell{steps.NumberCell(float64(tr.Trial), strconv.Itoa(tr.Trial))}
		for _, p := range varying {
			row = append(row, paramCell(params[i][p]))
		}
		row = append(row, score(tr.Mean), score(tr.Std), steps.NumberCell(float64(tr.Rank), strconv.Itoa(tr.Rank)))
		for k := range f.Folds {
			if k < len(tr.Scores) {
				row = append(row, score(tr.Scores[k]))
			} else {
				row = append(row, steps.TextCell(""))
			}
		}
		row = append(row, steps.TextCell(converged(tr.Converged)))
		t.Rows = append(t.Rows, row)
	}
	return t
}

func score(x float64) steps.Cell { return steps.NumberCell(x, strconv.FormatFloat(x, 'f', 4, 64)) }

// paramCell shows a parameter's JSON value: a number as a number, a
// string without its quotes, anything else as JSON.
func paramCell(raw json.RawMessage) steps.Cell {
	var x float64
	if err := json.Unmarshal(raw, &x); err == nil {
		return steps.NumberCell(x, strconv.FormatFloat(x, 'g', 6, 64))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return steps.TextCell(s)
	}
	return steps.TextCell(string(raw))
}

// converged says whether every fold's fit converged.
func converged(folds []bool) string {
	n := 0
	for _, c := range folds {
		if c {
			n++
		}
	}
	if n == len(folds) {
		return "yes"
	}
	return fmt.Sprintf("%d of %d folds", n, len(folds))
}

// scoreByC charts the mean score against C, a series for each
// combination of the other varying parameters. It gives up (ok false)
// when a C is not a positive number, which a log scale cannot place.
func scoreByC(f *TrialsFile, params []map[string]json.RawMessage, varying []string) (steps.Chart, bool) {
	c := steps.Chart{Name: "score-by-c", Title: f.Metric + " against C", X: "C", Y: "mean " + f.Metric + " over the folds", LogX: true}
	index := map[string]int{}
	seriesOf := make([]int, len(f.Trials))
	for i, t := range f.Trials {
		var x float64
		if err := json.Unmarshal(params[i][lrconfig.KeyC], &x); err != nil || x <= 0 {
			return steps.Chart{}, false
		}
		var parts []string
		for _, p := range varying[1:] {
			parts = append(parts, p+" "+paramCell(params[i][p]).Text)
		}
		name := strings.Join(parts, ", ")
		if name == "" {
			name = "every trial"
		}
		s, ok := index[name]
		if !ok {
			s = len(c.Series)
			index[name] = s
			c.Series = append(c.Series, steps.Series{Name: name})
		}
		lo, hi := t.Mean, t.Mean
		if len(t.Scores) > 0 {
			lo, hi = slices.Min(t.Scores), slices.Max(t.Scores)
		}
		c.Series[s].Points = append(c.Series[s].Points, steps.SpreadPoint{X: x, Y: t.Mean, Low: lo, High: hi})
		seriesOf[i] = s
	}
	// Points in order of C; the mark follows its trial.
	for s := range c.Series {
		pts := c.Series[s].Points
		sort.SliceStable(pts, func(i, j int) bool { return pts[i].X < pts[j].X })
	}
	if best := f.BestTrial - 1; best >= 0 && best < len(f.Trials) {
		s := seriesOf[best]
		var x0 float64
		_ = json.Unmarshal(params[best][lrconfig.KeyC], &x0)
		for i, p := range c.Series[s].Points {
			if p.X == x0 && p.Y == f.Trials[best].Mean {
				c.Mark = &steps.ChartMark{Series: s, Point: i, Label: fmt.Sprintf("best: trial %d", f.BestTrial)}
				break
			}
		}
	}
	return c, true
}
