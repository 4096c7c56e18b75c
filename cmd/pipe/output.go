package main

import (
	"context"
	"fmt"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
	"github.com/pipe-ml/pipe/engine/cache"
	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/workspace"
)

type outputCmd struct{}

func (*outputCmd) Name() string { return "output" }
func (*outputCmd) Synopsis() string {
	return "Print the outputs of the steps' last successful executions"
}
func (*outputCmd) Usage() string {
	return `Usage: pipe output [options] [PATH] [STEP[.OUTPUT]]

Prints the outputs of the last successful execution of each step of the
pipeline in PATH (default the current folder), as terraform output does:
numbers, strings and objects as written in a pipeline, artifacts with
their digest, media type, size and location in the store. With STEP
(KIND.NAME), only that step's; with STEP.OUTPUT, only that value, bare,
for scripts.

Options:
  -json   Print as JSON: {"STEP": {"key": ..., "outputs": {...}}}, with
          artifacts as {"digest", "media_type", "size", "uri"}.
` + arguments.WorkspaceHelp + `
Examples:
  pipe output
  pipe output evaluate.holdout
  pipe output evaluate.holdout.f1
`
}

func (*outputCmd) Run(ctx context.Context, c *cli, args []string) error {
	a, err := arguments.ParseOutput(args)
	if err != nil {
		return err
	}
	v := c.view(a.View)
	// The outputs of what ran do not depend on variables: a required
	// one needs no value here (unless the store's location uses it).
	opts := c.workspaceOptions(a.Path, a.Workspace)
	opts.AllowMissingVars = true
	w, err := c.openWorkspace(ctx, v, opts)
	if err != nil {
		return err
	}
	defer w.Close()
	view := views.NewOutput(a.ViewType, v, w.Store.URI)
	addrs := w.Pipeline.Graph.Order()
	if a.Step != (config.StepAddr{}) {
		if _, ok := w.Pipeline.Config.Steps[a.Step]; !ok {
			return withHint(fmt.Errorf("the pipeline has no step %s", a.Step), "pipe graph lists the steps")
		}
		addrs = []config.StepAddr{a.Step}
	}
	list, err := lastOutputs(ctx, w, addrs)
	if err != nil {
		return err
	}
	if a.Step == (config.StepAddr{}) {
		return view.Steps(list)
	}
	if len(list) == 0 {
		return withHint(fmt.Errorf("%s has no successful execution in %s", a.Step, w.StoreURL), "pipe apply -target=%s", a.Step)
	}
	if a.Name == "" {
		return view.Steps(list)
	}
	x, ok := list[0].Values[a.Name]
	if !ok {
		return withHint(fmt.Errorf("%s has no output %q", a.Step, a.Name), "pipe output %s lists its outputs", a.Step)
	}
	return view.Value(x)
}

// lastOutputs returns the outputs of the last successful execution of
// each step in addrs that has one, in that order.
func lastOutputs(ctx context.Context, w *workspace.Workspace, addrs []config.StepAddr) ([]views.OutputStep, error) {
	var list []views.OutputStep
	for _, addr := range addrs {
		key, err := cache.LastKey(ctx, w.Store, w.Pipeline.Config.Name(), addr.String())
		if err != nil {
			return nil, err
		}
		if key == "" {
			continue
		}
		entry, _, err := cache.Lookup(ctx, w.Store, key)
		if err != nil {
			return nil, err
		}
		if entry == nil {
			continue
		}
		if err := entry.Unseal(w.HashKey); err != nil {
			return nil, fmt.Errorf("%s: cache entry %s: %w", addr, key, err)
		}
		outs, err := entry.OutputValues()
		if err != nil {
			return nil, err
		}
		list = append(list, views.OutputStep{Addr: addr.String(), Key: key, Values: outs.AsValueMap()})
	}
	return list, nil
}
