package views

import (
	"fmt"
	"io"

	"github.com/pipe-ml/pipe/engine/plan"
)

// planHuman prints a plan for a person, the saved note after it:
//
//	  load.corpus        cached
//	+ train.model        run
//	    - C: 1 → 10
//
// Where a step runs follows its action when some step leaves the
// coordinator: "run on kubernetes [cpu=2]", "run on local (reads local
// files)".
//
//	Plan: 1 to run, 1 cached.
type planHuman struct{ *View }

func (v planHuman) Plan(d *plan.Document) error {
	writePlan(v.Stdout, d, v.ColorOut)
	if d.Saved != nil {
		writeMadeFrom(v.Stdout, d)
	}
	return nil
}

func (v planHuman) Saved(path, digest string) { savedNote(v.Stdout, path, digest) }

// writeMadeFrom says what a saved plan was made from, which apply will
// use, so that a reviewer sees it:
//
//	Saved plan sha256:3f2a…, made 2026-12-07 14:39 UTC by pipe v0.4.0, applies with:
//	  pipeline folder  pipelines (/home/ci/repo/pipelines)
//	  store            gs://models/pipe
//	  var.min_f1       0.85
func writeMadeFrom(w io.Writer, d *plan.Document) {
	fmt.Fprintf(w, "\nSaved plan %s, made %s by pipe %s, applies with:\n", d.Digest, d.Saved.Created.Format("2006-01-02 15:04 MST"), d.PipeVersion)
	rows := madeFrom(d.Saved)
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %-*s  %s\n", width, r[0], r[1])
	}
}

// writePlan writes a plan for a person; apply prints it too.
func writePlan(w io.Writer, d *plan.Document, color bool) {
	width := 0
	for _, s := range d.Steps {
		width = max(width, len(s.Address))
	}
	fmt.Fprintf(w, "Plan for pipeline %q:\n\n", d.Pipeline)
	where := placed(d)
	for _, s := range d.Steps {
		if s.Action == plan.Cached {
			fmt.Fprintf(w, "  %-*s  %s\n", width, s.Address, paint(color, ansiDim, action(s, where)))
		} else {
			fmt.Fprintf(w, "%s %-*s  %s\n", paint(color, ansiGreen, "+"), width, s.Address, paint(color, ansiGreen, action(s, where)))
		}
		for _, r := range s.Reasons {
			for _, line := range reasonLines(r) {
				fmt.Fprintf(w, "    - %s\n", line)
			}
		}
		for _, warn := range s.Warnings {
			fmt.Fprintf(w, "    %s %s\n", paint(color, ansiYellow, "warning:"), warn)
		}
	}
	fmt.Fprintf(w, "\n%s\n", summaryLine(d))
}
