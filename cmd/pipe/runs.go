package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/pipe-ml/pipe/engine/registry"
)

type runsCmd struct{}

func (*runsCmd) Name() string     { return "runs" }
func (*runsCmd) Synopsis() string { return "List recorded runs, or show one with its step executions" }
func (*runsCmd) Usage() string {
	return `Usage: pipe runs [options] [PATH]
       pipe runs show [options] [PATH] ID

Lists the runs of the pipeline in PATH (default the current folder) that
pipe apply recorded in the lineage registry, newest first: status, what
triggered it, when it started and how long it took, and the Git commit
(* when the checkout had uncommitted changes). Times are UTC. With a
registry named by -registry or PIPE_REGISTRY, the pipeline is not read
and the runs of every pipeline in the registry are listed.

"pipe runs show ID" shows one run: where and how it ran, and every step
execution in it, whether it ran, came from the cache (and from which
run), failed or was skipped, with errors and warnings.

Options:
  -limit=N           Show at most N runs (default 20; 0 for all).
  -status=STATUS     Only runs that succeeded, failed, cancelled,
                     interrupted or are running.
  -json              Print JSON: {"runs": [...]} or the run with its
                     executions.
` + registryUsage + `
Examples:
  pipe runs
  pipe runs -limit=5 -status=failed
  pipe runs show 42
  pipe runs show -json 42 | jq '.executions[] | select(.status == "failed")'
`
}

type runsJSON struct {
	Runs []registry.Run `json:"runs"`
}

func (cmd *runsCmd) Run(ctx context.Context, c *cli, args []string) error {
	if len(args) > 0 && args[0] == "show" {
		return cmd.show(ctx, c, args[1:])
	}
	fs := flag.NewFlagSet("runs", flag.ContinueOnError)
	limit := fs.Int("limit", 20, "")
	status := fs.String("status", "", "")
	asJSON := fs.Bool("json", false, "")
	var rf registryFlags
	rf.register(fs)
	args, err := c.parseFlags(fs, cmd.Usage(), args)
	if err != nil {
		return err
	}
	path, err := onePath(args, cmd.Usage())
	if err != nil {
		return err
	}
	if *limit < 0 {
		return withHint(fmt.Errorf("-limit must be 0 or more, not %d", *limit), "-limit=20")
	}
	reg, err := c.openRegistry(ctx, path, rf.args(), true)
	if err != nil {
		return err
	}
	defer reg.Close()
	runs, err := reg.Runs(ctx, registry.RunFilter{Pipeline: reg.Pipeline, Status: *status, Limit: *limit})
	if err != nil {
		return err
	}
	if runs == nil {
		runs = []registry.Run{}
	}
	if *asJSON {
		return writeJSON(c.stdout, runsJSON{Runs: runs})
	}
	if len(runs) == 0 {
		fmt.Fprintln(c.stdout, "No runs recorded yet. Run pipe apply.")
		return nil
	}
	// A registry named directly may hold several pipelines' runs.
	all := reg.Pipeline == ""
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
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
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, r.Trigger, formatWhen(r.Started), dur, shortCommit(r), r.PipeVersion)
	}
	return tw.Flush()
}

func (cmd *runsCmd) show(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("runs show", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "")
	var rf registryFlags
	rf.register(fs)
	args, err := c.parseFlags(fs, cmd.Usage(), args)
	if err != nil {
		return err
	}
	path, rest, err := pathAndArgs(args, 1, cmd.Usage())
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(rest[0], "#"), 10, 64)
	if err != nil || id <= 0 {
		return withHint(fmt.Errorf("%q is not a run ID", rest[0]), "pipe runs lists the runs and their IDs")
	}
	reg, err := c.openRegistry(ctx, path, rf.args(), true)
	if err != nil {
		return err
	}
	defer reg.Close()
	d, err := reg.Run(ctx, id)
	if err != nil {
		return withHint(registryError(err), "pipe runs lists the runs and their IDs")
	}
	if d.Executions == nil {
		d.Executions = []registry.Execution{}
	}
	if *asJSON {
		return writeJSON(c.stdout, d)
	}
	writeRun(c.stdout, d)
	return nil
}

// writeRun prints a run and its executions for a person.
func writeRun(w io.Writer, d *registry.RunDetail) {
	r := &d.Run
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
	git := "not in Git"
	if r.GitCommit != "" {
		git = r.GitCommit
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
	}
	row("Git", git)
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

	fmt.Fprintf(w, "\nSteps (%d):\n", len(d.Executions))
	if len(d.Executions) == 0 {
		return
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  EXECUTION\tSTEP\tKIND\tSTATUS\tDURATION\tUSED\tPRODUCED")
	for _, e := range d.Executions {
		dur := formatDuration(e.Started, e.Ended)
		if e.Status == registry.ExecCached || e.Status == registry.ExecSkipped {
			dur = "-"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Step, kindLabel(e.Kind, e.KindVersion), e.Status, dur, refNames(e.Used), refNames(e.Produced))
	}
	tw.Flush()
	for _, e := range d.Executions {
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

// refNames lists artifacts by name, files by path: "data/a.txt, model".
func refNames(refs []registry.ArtifactRef) string {
	if len(refs) == 0 {
		return "-"
	}
	var names, files []string
	for _, r := range refs {
		switch {
		case r.Path != "":
			files = append(files, r.Path)
		case r.Name != "":
			names = append(names, r.Name+" "+shortDigest(r.Digest))
		default:
			names = append(names, shortDigest(r.Digest))
		}
	}
	if len(files) > 2 {
		files = []string{fmt.Sprintf("%d files", len(files))}
	}
	return strings.Join(append(files, names...), ", ")
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
