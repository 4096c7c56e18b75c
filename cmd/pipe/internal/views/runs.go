package views

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/engine/registry"
)

// Runs prints recorded runs: pipe runs and pipe runs show.
type Runs interface {
	// List prints runs, newest first; all says they may be of several
	// pipelines.
	List(runs []registry.Run, all bool) error
	// Show prints one run with its executions.
	Show(d *registry.RunDetail) error
}

// NewRuns returns the runs view for vt: tables, or JSON.
func NewRuns(vt arguments.ViewType, v *View) Runs {
	if vt == arguments.ViewJSON {
		return runsJSON{v}
	}
	return runsHuman{v}
}

type runsJSON struct{ *View }

// RunsDocument is what pipe runs -json prints.
type RunsDocument struct {
	Runs []registry.Run `json:"runs"`
}

func (v runsJSON) List(runs []registry.Run, _ bool) error {
	if runs == nil {
		runs = []registry.Run{}
	}
	return writeJSON(v.Stdout, RunsDocument{Runs: runs})
}

func (v runsJSON) Show(d *registry.RunDetail) error {
	if d.Executions == nil {
		d.Executions = []registry.Execution{}
	}
	return writeJSON(v.Stdout, d)
}

type runsHuman struct{ *View }

func (v runsHuman) List(runs []registry.Run, all bool) error {
	if len(runs) == 0 {
		_, err := fmt.Fprintln(v.Stdout, "No runs recorded yet. Run pipe apply.")
		return err
	}
	tw := tabwriter.NewWriter(v.Stdout, 0, 4, 2, ' ', 0)
	if all {
		fmt.Fprint(tw, "PIPELINE\t")
	}
	fmt.Fprintln(tw, "RUN\tSTATUS\tTRIGGER\tSTARTED (UTC)\tDURATION\tGIT\tPIPE")
	for i := range runs {
		r := &runs[i]
		dur := formatDuration(r.Started, r.Ended)
		if r.Status == registry.RunRunning {
			dur = "running"
		}
		if all {
			fmt.Fprintf(tw, "%s\t", r.Pipeline)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, r.Trigger, formatWhen(r.Started), dur, commitCell(r), r.PipeVersion)
	}
	return tw.Flush()
}

func (v runsHuman) Show(d *registry.RunDetail) error {
	writeRunFacts(v.Stdout, &d.Run)
	fmt.Fprintf(v.Stdout, "\nSteps (%d):\n", len(d.Executions))
	if len(d.Executions) == 0 {
		return nil
	}
	writeExecutions(v.Stdout, d.Executions)
	return nil
}

// writeRunFacts prints where and how a run ran.
func writeRunFacts(w io.Writer, r *registry.Run) {
	fmt.Fprintf(w, "Run %d of %s: %s\n", r.ID, r.Pipeline, r.Status)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "  %s\t%s\n", k, v)
		}
	}
	row("Triggered by", r.Trigger)
	row("Started", formatWhen(r.Started)+" UTC")
	if !r.Ended.IsZero() {
		row("Ended", formatWhen(r.Ended)+" UTC ("+formatDuration(r.Started, r.Ended)+")")
	}
	row("Git", gitFacts(r))
	row("Pipeline digest", r.ConfigDigest)
	row("pipe", r.PipeVersion)
	hostUser := r.Host
	if r.User != "" {
		hostUser = r.User + "@" + r.Host
	}
	row("Host", hostUser)
	row("Store", r.StoreURL)
	row("Error", r.Error)
	tw.Flush()
}

// gitFacts is a run's commit with what else Git said about the checkout.
func gitFacts(r *registry.Run) string {
	if r.GitCommit == "" {
		return "not in Git"
	}
	git := r.GitCommit
	var notes []string
	if r.GitDirty != nil && *r.GitDirty {
		notes = append(notes, "uncommitted changes")
	}
	if r.GitBranch != "" {
		notes = append(notes, "branch "+r.GitBranch)
	}
	if r.PullRequest != "" {
		notes = append(notes, "pull request "+r.PullRequest)
	}
	if len(notes) > 0 {
		git += " (" + strings.Join(notes, ", ") + ")"
	}
	return git
}

// writeExecutions prints a run's step executions as a table, then their
// errors and warnings.
func writeExecutions(w io.Writer, execs []registry.Execution) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  EXECUTION\tSTEP\tKIND\tSTATUS\tDURATION\tUSED\tPRODUCED")
	for _, e := range execs {
		dur := formatDuration(e.Started, e.Ended)
		if e.Status == registry.ExecCached || e.Status == registry.ExecSkipped {
			dur = "-"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Step, kindLabel(e.Kind, e.KindVersion), statusLabel(e.Status, e.Executor), dur, refNames(e.Used), refNames(e.Produced))
	}
	tw.Flush()
	for _, e := range execs {
		if e.Error == "" && len(e.Warnings) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", e.Step)
		if e.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", e.Error)
		}
		for _, warn := range e.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", warn)
		}
	}
}
