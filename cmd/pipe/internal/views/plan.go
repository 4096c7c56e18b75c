package views

import (
	"fmt"
	"io"
	"slices"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/plan"
)

// Plan prints a plan: pipe plan, and pipe show of a saved one.
type Plan interface {
	Plan(d *plan.Document) error
	// Saved says where the plan was saved, its digest, and how to run
	// exactly it.
	Saved(path, digest string)
}

// NewPlan returns the plan view for vt: text for a person, the plan
// document as JSON, or Markdown for a pull-request comment.
func NewPlan(vt arguments.ViewType, v *View) Plan {
	switch vt {
	case arguments.ViewJSON:
		return planJSON{v}
	case arguments.ViewMarkdown:
		return planMarkdown{v}
	default:
		return planHuman{v}
	}
}

// planJSON prints the plan document; the note about a saved plan goes to
// stderr, so that stdout stays one JSON document.
type planJSON struct{ *View }

func (v planJSON) Plan(d *plan.Document) error { return writeJSON(v.Stdout, d) }
func (v planJSON) Saved(path, digest string)   { savedNote(v.Stderr, path, digest) }

// savedNote says where a plan was saved, its digest, and how to run
// exactly it.
func savedNote(w io.Writer, path, digest string) {
	fmt.Fprintf(w, "\nSaved the plan to %s (%s).\nRun exactly it with: pipe apply -plan-digest=%s %s\n", path, digest, digest, path)
}

// madeFrom lists what a saved plan was made from, which apply uses: the
// pipeline folder, the store, and the variables (sensitive ones shown
// as (sensitive value)), as label and value.
func madeFrom(s *plan.Saved) [][2]string {
	folder := s.Path
	if s.AbsPath != "" && s.AbsPath != s.Path {
		folder += " (" + s.AbsPath + ")"
	}
	rows := [][2]string{{"pipeline folder", folder}, {"store", s.Store}}
	names := make([]string, 0, len(s.Variables))
	for name := range s.Variables {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		rows = append(rows, [2]string{"var." + name, s.Variables[name].Display()})
	}
	return rows
}

// summaryLine is the plan's last line: "Plan: 1 to run, 2 cached."
func summaryLine(d *plan.Document) string {
	return fmt.Sprintf("Plan: %d to run, %d cached.", d.Summary.Run, d.Summary.Cached)
}

// action is what happens to a step: "run (known after apply)", and where
// when placed is true: "run on kubernetes [cpu=2]".
func action(s plan.DocumentStep, placed bool) string {
	a := string(s.Action)
	if s.KnownAfterApply {
		a += " (known after apply)"
	}
	if r := s.RunsOn; placed && r != nil {
		a += " on " + r.Executor
		if r.Reason != "" {
			a += " (" + r.Reason + ")"
		}
		if r.Resources != "" {
			a += " [" + r.Resources + "]"
		}
	}
	return a
}

// placed reports whether a plan should say where each step runs: when
// any step that runs leaves the coordinator, or stays for a reason. A
// plan that runs everything in the process, as pipe always did, says
// nothing of it.
func placed(d *plan.Document) bool {
	for _, s := range d.Steps {
		if r := s.RunsOn; r != nil && (r.Executor != executor.LocalName || r.Reason != "") {
			return true
		}
	}
	return false
}

// reasonLines splits a reason into one line per change.
func reasonLines(r plan.Reason) []string {
	if r.Code == plan.ReasonChanged && len(r.Changes) > 0 {
		var lines []string
		for _, c := range r.Changes {
			lines = append(lines, c.String())
		}
		return lines
	}
	return []string{r.Message}
}
