package page

import (
	"fmt"
	"net/http"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/api"
	"github.com/pipe-ml/pipe/steps"
)

// outputPage is an artifact a step made, with what its kind says it
// holds.
type outputPage struct {
	frame
	Run      *registry.RunDetail
	Exec     registry.Execution
	Artifact registry.ArtifactRef
	// What the kind that made it says it holds; Described is false when
	// no kind describes it (or it could not be read, Problem says why).
	Described bool
	Problem   string
	Metrics   []steps.Metric
	Tables    []shownTable
	Charts    []chartView
}

// chartView is a chart with its legend.
type chartView struct {
	drawnChart
	Legend []drawnSeries
}

func (p *Page) handleOutput(w http.ResponseWriter, r *http.Request) {
	run, e, ok := p.runAndStep(w, r)
	if !ok {
		return
	}
	name := r.PathValue("output")
	var art *registry.ArtifactRef
	for i := range e.Produced {
		if e.Produced[i].Name == name {
			art = &e.Produced[i]
		}
	}
	back := crumb{e.Step, stepHref(run.ID, e.Step)}
	if art == nil {
		p.problem(w, http.StatusNotFound, fmt.Errorf("%s in run %d made no artifact named %s", e.Step, run.ID, api.Echo(name)), back)
		return
	}
	op := outputPage{
		frame: frame{Title: fmt.Sprintf("%s of %s in run %d", name, e.Step, run.ID), Heading: e.Step + " · " + name, Section: "runs",
			Crumbs: []crumb{{"Runs", "/runs"}, {fmt.Sprintf("run %d", run.ID), fmt.Sprintf("/runs/%d", run.ID)}, back}},
		Run: run, Exec: e, Artifact: *art,
	}
	if err := p.describe(r, &op); err != nil {
		p.problem(w, http.StatusBadRequest, err, crumb{name + " of " + e.Step, r.URL.Path}, back)
		return
	}
	p.render(w, http.StatusOK, "output", op)
}

// describe adds what the kinds say of the artifact: its metrics, its
// tables sorted as the request asks, its charts and curves drawn. It
// returns the request's mistake (checkSort), which is not the artifact's.
func (p *Page) describe(r *http.Request, op *outputPage) error {
	s, err := p.opts.API.Summary(r.Context(), op.Artifact.Digest)
	switch {
	case err != nil:
		p.opts.Log.Warn("describing an artifact", "digest", op.Artifact.Digest, "error", err)
		op.Problem = "serve could not read what this artifact holds; the server's log says why."
		return nil
	case s == nil:
		return checkSort(nil, r.URL.Query())
	}
	if err := checkSort(s.Tables, r.URL.Query()); err != nil {
		return err
	}
	op.Described, op.Metrics = true, s.Metrics
	for _, t := range s.Tables {
		op.Tables = append(op.Tables, sortedTable(t, r.URL.Query()))
	}
	charts := s.Charts
	for _, c := range s.Curves {
		charts = append(charts, curveChart(c))
	}
	for _, c := range charts {
		d := drawChart(c)
		op.Charts = append(op.Charts, chartView{drawnChart: d, Legend: d.Series})
	}
	if len(op.Tables) > 0 {
		op.Scripts = []string{"sort.js"}
	}
	return nil
}
