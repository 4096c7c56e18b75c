package page

import (
	"fmt"
	"net/http"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/api"
)

// outputPage is an artifact a step made, with what its kind says it
// holds.
type outputPage struct {
	frame
	Run      *registry.RunDetail
	Exec     registry.Execution
	Artifact registry.ArtifactRef
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
	p.render(w, http.StatusOK, "output", outputPage{
		frame: frame{Title: fmt.Sprintf("%s of %s in run %d", name, e.Step, run.ID), Heading: e.Step + " · " + name, Section: "runs",
			Crumbs: []crumb{{"Runs", "/runs"}, {fmt.Sprintf("run %d", run.ID), fmt.Sprintf("/runs/%d", run.ID)}, back}},
		Run: run, Exec: e, Artifact: *art,
	})
}
