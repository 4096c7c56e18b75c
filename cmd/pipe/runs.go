package main

import (
	"context"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
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
` + arguments.RegistryHelp + `
Examples:
  pipe runs
  pipe runs -limit=5 -status=failed
  pipe runs show 42
  pipe runs show -json 42 | jq '.executions[] | select(.status == "failed")'
`
}

func (*runsCmd) Run(ctx context.Context, c *cli, args []string) error {
	a, err := arguments.ParseRuns(args)
	if err != nil {
		return err
	}
	v := c.view(a.View)
	reg, err := c.openRegistry(ctx, v, a.Path, a.Registry, true)
	if err != nil {
		return err
	}
	defer reg.Close()
	view := views.NewRuns(a.ViewType, v)
	if a.ID != 0 {
		d, err := reg.Run(ctx, a.ID)
		if err != nil {
			return withHint(registryError(err), "pipe runs lists the runs and their IDs")
		}
		return view.Show(d)
	}
	runs, err := reg.Runs(ctx, registry.RunFilter{Pipeline: reg.Pipeline, Status: a.Status, Limit: a.Limit})
	if err != nil {
		return err
	}
	// A registry named directly may hold several pipelines' runs.
	return view.List(runs, reg.Pipeline == "")
}
