package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
	"github.com/pipe-ml/pipe/engine/registry"
)

type lineageCmd struct{}

func (*lineageCmd) Name() string { return "lineage" }
func (*lineageCmd) Synopsis() string {
	return "Show what produced a model or artifact, or everything built from a file"
}
func (*lineageCmd) Usage() string {
	return `Usage: pipe lineage [options] [PATH] REF

Answers from the lineage registry of the pipeline in PATH (default the
current folder) what produced REF, or with -downstream everything built
from it, in any run.

REF is one of:
  NAME@VERSION    a model version: privacy-intent@3 (or @v3, @latest)
  NAME@ALIAS      the version an alias points at: privacy-intent@champion
  sha256:...      an artifact or input file by digest (12 hex digits of it
                  are enough)
  FILE            an input file a run read, relative to the current
                  folder like any path you type; every content it ever
                  had is followed

Upstream (the default) of a model version: the publish execution, the
model and its report, the train execution, the search execution and the
parameters it chose, the datasets, the load execution and the input
files, and the runs with their Git commits. Downstream of a file: the
datasets, models, versions and predictions made from it. A node reached
twice is shown once and then "(see above)".

The tree shows each step with its kind and whether it ran or was cached
in which run (and which run made what the cache gave), artifacts and
files with their digests cut to 12 hex digits, a model version's metrics
and an execution's outputs that fit in a few words. -v adds every
configuration and output in full, whole digests and where the store
keeps each artifact; -json has everything.

Options:
  -downstream        Everything built from REF, instead of what made it.
  -v                 The tree in full: configurations, outputs, digests,
                     locations.
  -format=FORMAT     tree (default), json or dot (Graphviz).
  -json              Same as -format=json.
  -depth=N           Stop N steps away from REF (default 0: no limit).
` + arguments.RegistryHelp + `
Examples:
  pipe lineage privacy-intent@champion
  pipe lineage -v privacy-intent@3
  pipe lineage -downstream data/corpus.parquet
  pipe lineage -format=dot privacy-intent@3 | dot -Tsvg > lineage.svg
  pipe lineage -json sha256:5d41402abc4b | jq '.nodes[] | select(.type == "run")'
`
}

func (*lineageCmd) Run(ctx context.Context, c *cli, args []string) error {
	a, err := arguments.ParseLineage(args)
	if err != nil {
		return err
	}
	v := c.view(a.View)
	reg, err := c.openRegistry(ctx, v, a.Path, a.Registry, true)
	if err != nil {
		return err
	}
	defer reg.Close()
	g, err := lineage(ctx, reg, a)
	if err != nil {
		return err
	}
	return views.NewLineage(a.ViewType, a.Verbose, v).Graph(g)
}

// lineage asks the registry for the lineage of a.Ref, trying each way of
// reading the reference (lineageRefs) until one matches.
func lineage(ctx context.Context, reg *openedRegistry, a *arguments.Lineage) (*registry.Graph, error) {
	query := reg.Upstream
	if a.Downstream {
		query = reg.Downstream
	}
	opts := &registry.LineageOptions{MaxDepth: a.Depth}
	var firstErr error
	for _, ref := range lineageRefs(a.Ref, reg.Dir) {
		g, err := query(ctx, ref, opts)
		if err == nil {
			return g, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, withHint(registryError(firstErr), "pipe models lists the models, pipe runs show ID the files a run read")
}

// lineageRefs returns what to ask the registry for REF, in order. A model
// reference or a digest goes as it is. Anything else may be a file path
// typed relative to the current folder, which the registry knows relative
// to the pipeline folder dir; it is converted, and the reference as typed
// is tried after it (a path already relative to the pipeline, a digest
// prefix without sha256:).
func lineageRefs(ref, dir string) []string {
	if strings.HasPrefix(ref, "sha256:") {
		return []string{ref}
	}
	if strings.Contains(ref, "@") {
		if _, err := os.Stat(ref); err != nil {
			return []string{ref}
		}
	}
	abs, err := filepath.Abs(ref)
	if err != nil || dir == "" {
		return []string{ref}
	}
	conv := filepath.ToSlash(abs)
	if rel, err := filepath.Rel(dir, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		conv = filepath.ToSlash(rel)
	}
	if conv == filepath.ToSlash(filepath.Clean(ref)) {
		return []string{conv}
	}
	return []string{conv, ref}
}
