package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/pipeline"
	"github.com/pipe-ml/pipe/engine/signing"
	"github.com/pipe-ml/pipe/engine/workspace"
)

// workspaceOptions are the options to open the workspace of the pipeline
// at path with the flags f.
func (c *cli) workspaceOptions(path string, f arguments.Workspace) workspace.Options {
	return workspace.Options{
		Path:     path,
		Kinds:    c.kinds,
		Vars:     eval.VarInputs{Env: c.env, Args: f.Vars.Args},
		Store:    f.Store,
		StateDir: f.StateDir,
		Registry: f.Registry,
		Executor: f.Executor,
		Env:      c.env,

		AllowPaths: f.Vars.AllowPaths,
	}
}

// openWorkspace loads the pipeline and opens its store, printing
// diagnostics through v.
func (c *cli) openWorkspace(ctx context.Context, v *views.View, opts workspace.Options) (*workspace.Workspace, error) {
	w, err := c.resolveWorkspace(v, opts)
	if err != nil {
		return nil, err
	}
	if err := c.openStore(ctx, w); err != nil {
		return nil, err
	}
	return w, nil
}

// resolveWorkspace loads the pipeline and resolves where its things are,
// printing diagnostics through v; it opens nothing.
func (c *cli) resolveWorkspace(v *views.View, opts workspace.Options) (*workspace.Workspace, error) {
	w, diags := workspace.Resolve(opts)
	v.Diagnostics(diags, pipelineSources(w))
	if diags.HasErrors() {
		return nil, errReported
	}
	return w, nil
}

// openStore opens the store w resolved.
func (c *cli) openStore(ctx context.Context, w *workspace.Workspace) error {
	err := w.OpenStore(ctx)
	if err != nil && !errors.Is(err, workspace.ErrStateNotWritable) {
		return withHint(err, "check -store, PIPE_STORE or settings.store, and your credentials")
	}
	return err
}

// loadOptions are the options to load the pipeline at path with the
// variables vars.
func (c *cli) loadOptions(path string, vars arguments.Vars) pipeline.Options {
	return pipeline.Options{
		Path:         path,
		Kinds:        c.kinds,
		Vars:         eval.VarInputs{Env: c.env, Args: vars.Args},
		AllowedPaths: workspace.AllowedPaths(vars.AllowPaths, c.env),
	}
}

// pipelineSources are the files of w's pipeline, for diagnostics; nil
// when it did not load.
func pipelineSources(w *workspace.Workspace) map[string][]byte {
	if w == nil || w.Pipeline == nil {
		return nil
	}
	return w.Pipeline.Sources
}

// noteUnsigned says, once per plan or apply, that without a team key what
// the store holds is not signed, and so is trusted as it stands. The state
// folder's own store (the default) is shared with no one, so there is
// nothing to say about it.
func noteUnsigned(v *views.View, w *workspace.Workspace) {
	if w.Key != nil || w.OwnStore() {
		return
	}
	v.Diagnostics(hcl.Diagnostics{{
		Severity: hcl.DiagWarning,
		Summary:  "Store not signed",
		Detail: fmt.Sprintf("Cache entries and registry records in %s are not signed: whoever may write to the store can change a result that pipe then trusts. Set %s (docs/security.md, \"The team key\").",
			w.StoreURL, signing.EnvKeyFile),
	}}, nil)
}
