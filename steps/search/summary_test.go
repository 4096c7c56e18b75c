package search

import (
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/media"
	"github.com/pipe-ml/pipe/steps/steptest"
)

// TestSummarize: the summary of a trials table a real search wrote has
// the trials as rows with the parameters that varied and every fold's
// score, and a chart of the score against C with a series for each
// penalty and class weight, each point spanning its folds, the best
// trial marked; the catalog asks search for it.
func TestSummarize(t *testing.T) {
	env := steptest.NewEnv(t)
	out, err := env.Run(Kind{}, map[string]cty.Value{
		"data":  putDataset(t, env, synthData(600, 8, 3)),
		"folds": cty.NumberIntVal(3),
		"space": obj(map[string]cty.Value{
			"C":            nums(0.01, 0.1, 1),
			"penalty":      strs("l2", "l1"),
			"class_weight": strs("none", "balanced"),
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	content := env.Read(out["trials"])
	table, _ := readTrials(t, env, out["trials"])
	s, err := steps.NewCatalog(Kind{}).Summarize(media.Trials.Type, content)
	if err != nil || s == nil || len(s.Tables) != 1 || len(s.Charts) != 1 {
		t.Fatalf("Summarize: %+v, %v", s, err)
	}

	tab := s.Tables[0]
	var cols []string
	for _, c := range tab.Columns {
		cols = append(cols, c.Name)
	}
	if got := strings.Join(cols, " "); got != "trial C class_weight penalty mean std rank fold1 fold2 fold3 converged" {
		t.Errorf("columns: %s", got)
	}
	if len(tab.Rows) != 12 || tab.Marked != table.BestTrial-1 {
		t.Fatalf("%d rows, marked %d; want 12, %d", len(tab.Rows), tab.Marked, table.BestTrial-1)
	}
	for i, row := range tab.Rows {
		tr := table.Trials[i]
		if len(row) != len(cols) || row[0].Number != float64(tr.Trial) || row[4].Number != tr.Mean || row[7].Number != tr.Scores[0] || !row[4].IsNumber || row[3].IsNumber {
			t.Errorf("row %d: %+v for trial %+v", i, row, tr)
		}
	}

	c := s.Charts[0]
	if !c.LogX || c.X != "C" || len(c.Series) != 4 || c.Mark == nil {
		t.Fatalf("chart %+v", c)
	}
	var names []string
	for _, ser := range c.Series {
		names = append(names, ser.Name)
		if len(ser.Points) != 3 || !slices.IsSortedFunc(ser.Points, func(a, b steps.SpreadPoint) int { return int(a.X*1000) - int(b.X*1000) }) {
			t.Errorf("series %s: %+v", ser.Name, ser.Points)
		}
		for _, p := range ser.Points {
			if p.Low > p.Y || p.Y > p.High {
				t.Errorf("series %s: a point's mean %g is outside its folds' %g to %g", ser.Name, p.Y, p.Low, p.High)
			}
		}
	}
	if !slices.Contains(names, "class_weight balanced, penalty l1") {
		t.Errorf("series %v", names)
	}
	best := table.Trials[table.BestTrial-1]
	if p := c.Series[c.Mark.Series].Points[c.Mark.Point]; p.Y != best.Mean || !strings.Contains(c.Mark.Label, "trial") {
		t.Errorf("the mark is at %+v, the best trial's mean is %g", p, best.Mean)
	}
	if want := "best " + table.Metric; len(s.Metrics) != 2 || s.Metrics[0].Name != want || s.Metrics[0].Value != best.Mean {
		t.Errorf("metrics %+v", s.Metrics)
	}
	// Anything else is not search's to describe; bad bytes are an error.
	if s, err := (Kind{}).Summarize(media.Report.Type, content); s != nil || err != nil {
		t.Errorf("a report: %v %v", s, err)
	}
	if _, err := (Kind{}).Summarize(media.Trials.Type, []byte("{")); err == nil {
		t.Error("broken trials summarised")
	}
}
