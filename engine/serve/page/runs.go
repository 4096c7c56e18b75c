package page

import (
	"net/http"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/api"
)

// runsPage is the list of runs, a page at a time, filtered.
type runsPage struct {
	frame
	Query registry.RunQuery
	api.RunsPage
	// Pipelines, Statuses and Triggers are the filters' choices.
	Pipelines, Statuses, Triggers []string
}

// The choices of the runs list's filters.
var (
	runStatuses = []string{registry.RunRunning, registry.RunSucceeded, registry.RunFailed, registry.RunInterrupted, registry.RunCancelled}
	runTriggers = []string{registry.TriggerManual, registry.TriggerCI, registry.TriggerSchedule, registry.TriggerWatch}
)

func (p *Page) handleRuns(w http.ResponseWriter, r *http.Request) {
	q, err := api.ParseRunQuery(r.URL.Query())
	if err != nil {
		p.problem(w, http.StatusBadRequest, err, crumb{"every run", "/runs"})
		return
	}
	page, err := p.opts.API.Runs(r.Context(), q)
	if err != nil {
		p.registryProblem(w, err, crumb{"every run", "/runs"})
		return
	}
	pipelines, err := p.opts.API.RunPipelines(r.Context())
	if err != nil {
		p.registryProblem(w, err)
		return
	}
	p.render(w, http.StatusOK, "runs", runsPage{
		frame: frame{Title: "Runs", Heading: "Runs", Section: "runs", Refresh: 30},
		Query: q, RunsPage: page, Pipelines: pipelines, Statuses: runStatuses, Triggers: runTriggers,
	})
}
