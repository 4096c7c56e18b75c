package evaluate

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
	"github.com/pipe-ml/pipe/steps/shared/media"
	"github.com/pipe-ml/pipe/steps/steptest"
)

// TestSummarize: the summary of a report evaluate wrote holds its metrics,
// its curves point by point and its plot, and the catalog of the kinds
// asks evaluate for it.
func TestSummarize(t *testing.T) {
	env := steptest.NewEnv(t)
	train, test := synthSplit(1000, 500, 8, 2)
	out, err := env.Run(Kind{}, map[string]cty.Value{
		"model": putModel(t, env, trainModel(t, train, logreg.DefaultParams())), "data": putDataset(t, env, test),
	})
	if err != nil {
		t.Fatal(err)
	}
	content := env.Read(out["report"])
	var rep Report
	if err := json.Unmarshal(content, &rep); err != nil {
		t.Fatal(err)
	}

	s, err := steps.NewCatalog(Kind{}).Summarize(media.Report.Type, content)
	if err != nil || s == nil {
		t.Fatalf("Summarize: %v, %v", s, err)
	}
	var names []string
	for _, m := range s.Metrics {
		names = append(names, m.Name)
		if want := num(t, out[m.Name]); m.Value != want {
			t.Errorf("metric %s = %v, the output says %v", m.Name, m.Value, want)
		}
	}
	if got := strings.Join(names, ","); got != "f1,accuracy,roc_auc,precision,recall,log_loss,pr_auc,threshold" {
		t.Errorf("metrics %s", got)
	}
	if len(s.Curves) != 2 || s.Curves[0].Name != "roc" || s.Curves[1].Name != "pr" {
		t.Fatalf("curves %+v", s.Curves)
	}
	roc, pr := s.Curves[0], s.Curves[1]
	if len(roc.Points) != len(rep.Curves.ROC.FPR) || len(pr.Points) != len(rep.Curves.PR.Recall) || len(roc.Points) < 3 {
		t.Errorf("%d ROC and %d PR points, the report has %d and %d", len(roc.Points), len(pr.Points), len(rep.Curves.ROC.FPR), len(rep.Curves.PR.Recall))
	}
	for i, p := range roc.Points {
		if p.X != rep.Curves.ROC.FPR[i] || p.Y != rep.Curves.ROC.TPR[i] {
			t.Fatalf("ROC point %d = %v, the report has (%v, %v)", i, p, rep.Curves.ROC.FPR[i], rep.Curves.ROC.TPR[i])
		}
	}
	for i, p := range pr.Points {
		if p.X != rep.Curves.PR.Recall[i] || p.Y != rep.Curves.PR.Precision[i] {
			t.Fatalf("PR point %d = %v, the report has (%v, %v)", i, p, rep.Curves.PR.Recall[i], rep.Curves.PR.Precision[i])
		}
	}
	want := steps.Image{Title: PlotTitle, Digest: digest(out["plot"]), MediaType: media.Plot.Type}
	if len(s.Images) != 1 || s.Images[0] != want {
		t.Errorf("images %+v, want %+v", s.Images, want)
	}

	// The plot is the picture, not described; a damaged report is an error.
	if s, err := (Kind{}).Summarize(media.Plot.Type, env.Read(out["plot"])); s != nil || err != nil {
		t.Errorf("Summarize(plot) = %v, %v", s, err)
	}
	if _, err := (Kind{}).Summarize(media.Report.Type, content[:len(content)/2]); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("a truncated report: %v", err)
	}
	if _, err := (Kind{}).Summarize(media.Report.Type, []byte(`{"format": "pipe.report/v9"}`)); err == nil || !strings.Contains(err.Error(), "pipe.report/v9") {
		t.Errorf("another format: %v", err)
	}
}
