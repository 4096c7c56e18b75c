package page

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/api"
	"github.com/pipe-ml/pipe/engine/serve/applies"
)

// runPage is one run: its graph, its timeline and its steps.
type runPage struct {
	frame
	Run      *registry.RunDetail
	Graph    drawing
	Timeline *timeline
	Steps    []runStep
	// Running is true while the run is the apply in progress.
	Running bool
}

// runStep is a row of the steps table: a recorded execution, or a step
// of the apply in progress that has none yet.
type runStep struct {
	Step, Kind, Status, Took, Href string
	Started                        time.Time
	Warnings                       int
}

func (p *Page) handleRun(w http.ResponseWriter, r *http.Request) {
	id, err := api.ParseRunID(r.PathValue("id"))
	if err != nil {
		p.problem(w, http.StatusBadRequest, err, crumb{"every run", "/runs"})
		return
	}
	run, err := p.opts.API.Run(r.Context(), id)
	if err != nil {
		p.registryProblem(w, err, crumb{"every run", "/runs"})
		return
	}
	live := p.current(run)
	states := stepStates(run, live)
	href := func(step string) string { return stepHref(run.ID, step) }
	recorded := map[string]registry.Execution{}
	for _, e := range run.Executions {
		recorded[e.Step] = e
	}
	g := runGraph(run, p.opts.Snapshot())
	for _, s := range g.Vertices() {
		if _, ok := states[s]; !ok {
			states[s] = "planned"
		}
	}
	for s := range states {
		g.Add(s)
	}
	rp := runPage{
		frame: frame{Title: fmt.Sprintf("Run %d", run.ID), Heading: fmt.Sprintf("Run %d of %s", run.ID, run.Pipeline), Section: "runs",
			Crumbs: []crumb{{"Runs", "/runs"}, {run.Pipeline, "/runs?pipeline=" + url.QueryEscape(run.Pipeline)}}},
		Run: run, Running: live != nil,
		Graph: layout(g, fmt.Sprintf("The steps of run %d and what each used", run.ID), func(s string) nodeLook {
			l := nodeLook{Title: s, Class: states[s], Sub: states[s], Href: href(s)}
			if e, ok := recorded[s]; ok && !e.Ended.IsZero() {
				l.Sub = states[s] + " · " + humanDuration(e.Ended.Sub(e.Started))
			}
			l.Tip = s + ": " + l.Sub
			return l
		}),
		Timeline: makeTimeline(run, time.Now(), href),
	}
	rp.Steps = runSteps(run, live, states, href)
	if rp.Running {
		rp.Scripts = []string{"live.js"}
		rp.frame.Live = "/api/runs/" + fmt.Sprint(run.ID) + "/events"
		rp.Refresh = 5
	}
	p.render(w, http.StatusOK, "run", rp)
}

// current returns the apply in progress when it is run's, else nil.
func (p *Page) current(run *registry.RunDetail) *applies.Progress {
	if run.Status != registry.RunRunning || p.opts.Current == nil {
		return nil
	}
	if c := p.opts.Current(); c != nil && c.RunID == run.ID {
		return c
	}
	return nil
}

// runSteps are the rows of the steps table: the recorded executions in
// the order they started, then the steps of the apply in progress that
// have not started.
func runSteps(run *registry.RunDetail, live *applies.Progress, states map[string]string, href func(string) string) []runStep {
	var out []runStep
	seen := map[string]bool{}
	for _, e := range run.Executions {
		s := runStep{Step: e.Step, Kind: e.Kind, Status: states[e.Step], Href: href(e.Step), Started: e.Started, Warnings: len(e.Warnings)}
		if !e.Ended.IsZero() {
			s.Took = humanDuration(e.Ended.Sub(e.Started))
		}
		seen[e.Step] = true
		out = append(out, s)
	}
	if live != nil {
		for _, st := range live.Steps {
			if !seen[st.Step] {
				out = append(out, runStep{Step: st.Step, Kind: st.Kind, Status: states[st.Step], Href: href(st.Step)})
			}
		}
	}
	return out
}

// stepHref is the page of a step of a run.
func stepHref(run int64, step string) string {
	return fmt.Sprintf("/runs/%d/steps/%s", run, url.PathEscape(step))
}
