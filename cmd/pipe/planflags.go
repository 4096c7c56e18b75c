package main

import (
	"context"
	"flag"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/workspace"
)

// workspaceFlags are the flags of every command that opens a pipeline's
// store and state.
type workspaceFlags struct {
	vars                      varFlags
	store, stateDir, registry string
	// allowMissingVars leaves required variables without a value unknown,
	// for commands that only read what ran (output).
	allowMissingVars bool
}

func (f *workspaceFlags) register(fs *flag.FlagSet) {
	f.vars.register(fs)
	fs.StringVar(&f.store, "store", "", "")
	fs.StringVar(&f.stateDir, "state-dir", "", "")
	fs.StringVar(&f.registry, "registry", "", "")
}

// options are the workspace options of the pipeline at path.
func (f *workspaceFlags) options(c *cli, path string) workspace.Options {
	opts := c.workspaceOptions(path, arguments.Workspace{Vars: arguments.Vars{Args: f.vars.args}, Store: f.store, StateDir: f.stateDir, Registry: f.registry})
	opts.AllowMissingVars = f.allowMissingVars
	return opts
}

const workspaceUsage = varUsage + `  -store=URL         Blob store for artifacts and the cache: file://DIR,
                     gs://BUCKET/PREFIX, s3://BUCKET/PREFIX or mem://.
                     Default: PIPE_STORE, settings.store, or .pipe/store.
  -state-dir=DIR     Folder for local state (stat cache, lock, registry).
                     Default: PIPE_STATE_DIR, or .pipe beside the pipeline.
  -registry=FILE     SQLite lineage registry. Default: PIPE_REGISTRY, or
                     registry.db in the state folder.
`

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
		Env:      c.env,
	}
}

// openWorkspace loads the pipeline and opens its store, printing
// diagnostics through v.
func (c *cli) openWorkspace(ctx context.Context, v *views.View, opts workspace.Options) (*workspace.Workspace, error) {
	w, diags := workspace.Resolve(opts)
	var sources map[string][]byte
	if w != nil && w.Pipeline != nil {
		sources = w.Pipeline.Sources
	}
	v.Diagnostics(diags, sources)
	if diags.HasErrors() {
		return nil, errReported
	}
	if err := w.OpenStore(ctx); err != nil {
		return nil, withHint(err, "check -store, PIPE_STORE or settings.store, and your credentials")
	}
	return w, nil
}

func (c *cli) printLoadDiagnostics(w *workspace.Workspace, diags hcl.Diagnostics) {
	var sources map[string][]byte
	if w != nil && w.Pipeline != nil {
		sources = w.Pipeline.Sources
	}
	c.printDiagnostics(diags, sources)
}
