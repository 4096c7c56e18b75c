package page

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/api"
)

// stepPage is one step of one run.
type stepPage struct {
	frame
	Run  *registry.RunDetail
	Exec registry.Execution
	// Config and Outputs are the evaluated configuration and the values
	// the step made, one row per attribute, as recorded.
	Config, Outputs []field
	Took            string
	// Where says where it ran, in words.
	Where string
	// OutputHref links each produced artifact's page, by output name.
	OutputHref map[string]string
}

// field is an attribute or output with its JSON value.
type field struct {
	Name, Value string
	// Long is true for a value to show as a block.
	Long bool
}

// fields splits a recorded JSON object into its fields, sorted by name.
func fields(raw json.RawMessage) []field {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return nil
	}
	var out []field
	for _, name := range sortedBy(m) {
		v := prettyJSON(m[name])
		out = append(out, field{Name: name, Value: v, Long: len(v) > 60 || slices.Contains([]byte(v), '\n')})
	}
	return out
}

// runAndStep reads the run the path names and the execution of its step,
// or writes the problem page and returns ok false.
func (p *Page) runAndStep(w http.ResponseWriter, r *http.Request) (*registry.RunDetail, registry.Execution, bool) {
	id, err := api.ParseRunID(r.PathValue("id"))
	if err != nil {
		p.problem(w, http.StatusBadRequest, err, crumb{"every run", "/runs"})
		return nil, registry.Execution{}, false
	}
	run, err := p.opts.API.Run(r.Context(), id)
	if err != nil {
		p.registryProblem(w, err, crumb{"every run", "/runs"})
		return nil, registry.Execution{}, false
	}
	step := r.PathValue("step")
	for _, e := range run.Executions {
		if e.Step == step {
			return run, e, true
		}
	}
	p.problem(w, http.StatusNotFound, fmt.Errorf("run %d has no record of a step %s: it has not started, or the run has no such step",
		run.ID, api.Echo(step)), crumb{fmt.Sprintf("run %d", run.ID), fmt.Sprintf("/runs/%d", run.ID)})
	return nil, registry.Execution{}, false
}

func (p *Page) handleStep(w http.ResponseWriter, r *http.Request) {
	run, e, ok := p.runAndStep(w, r)
	if !ok {
		return
	}
	sp := stepPage{
		frame: frame{Title: fmt.Sprintf("%s in run %d", e.Step, run.ID), Heading: e.Step, Section: "runs",
			Crumbs: []crumb{{"Runs", "/runs"}, {fmt.Sprintf("run %d", run.ID), fmt.Sprintf("/runs/%d", run.ID)}}},
		Run: run, Exec: e, Config: fields(e.Config), Outputs: fields(e.Outputs), Where: where(run, e), OutputHref: map[string]string{},
	}
	if !e.Ended.IsZero() {
		sp.Took = humanDuration(e.Ended.Sub(e.Started))
	}
	for _, a := range e.Produced {
		if a.Name != "" {
			sp.OutputHref[a.Name] = stepHref(run.ID, e.Step) + "/" + url.PathEscape(a.Name)
		}
	}
	if e.Status == registry.ExecRunning {
		sp.Refresh = 5
	}
	p.render(w, http.StatusOK, "step", sp)
}

// where says in words where a step ran: on which executor (engine/
// executor), in which run, applied how, with which pipe and store.
func where(run *registry.RunDetail, e registry.Execution) string {
	by := map[string]string{
		registry.TriggerManual:   "applied by hand (pipe apply)",
		registry.TriggerCI:       "applied by a CI job",
		registry.TriggerSchedule: "applied on a schedule (the CronJob, or pipe serve -schedule)",
		registry.TriggerWatch:    "applied by pipe serve when the pipeline or its data changed",
	}[run.Trigger]
	if by == "" {
		by = "applied (" + run.Trigger + ")"
	}
	s := fmt.Sprintf("run %d, %s, with pipe %s", run.ID, by, run.PipeVersion)
	if run.StoreURL != "" {
		s += ", on the store " + run.StoreURL
	}
	switch e.Executor {
	case "":
		return "In " + s + "."
	case executor.LocalName:
		return "In the apply's own process (the local executor), in " + s + "."
	case executor.ProcessName:
		return "In a child process of the apply (pipe step exec, the process executor), in " + s + "."
	case executor.KubernetesName:
		return "In a Kubernetes Pod (pipe step exec, the kubernetes executor), in " + s + "."
	}
	return "On the " + e.Executor + " executor, in " + s + "."
}
