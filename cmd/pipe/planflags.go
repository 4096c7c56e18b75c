package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/workspace"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

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

const workspaceUsage = varUsage + `  -store=URL         Blob store for artifacts and the cache: file://DIR,
                     gs://BUCKET/PREFIX, s3://BUCKET/PREFIX or mem://.
                     Default: PIPE_STORE, settings.store, or .pipe/store.
  -state-dir=DIR     Folder for local state (stat cache, lock, registry).
                     Default: PIPE_STATE_DIR, or .pipe beside the pipeline.
  -registry=FILE     SQLite lineage registry. Default: PIPE_REGISTRY, or
                     registry.db in the state folder.
`

// stepFlags are -target and -replace.
type stepFlags struct {
	targets, replace stringList
}

func (f *stepFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.targets, "target", "")
	fs.Var(&f.replace, "replace", "")
}

func (f *stepFlags) addrs() (targets, replace []config.StepAddr, err error) {
	parse := func(flag string, list []string) ([]config.StepAddr, error) {
		var out []config.StepAddr
		for _, s := range list {
			a, err := config.ParseStepAddr(s)
			if err != nil {
				return nil, withHint(fmt.Errorf("-%s=%s: %q is not a step address", flag, s, s), "name a step as KIND.NAME, e.g. -%s=train.model; pipe graph lists them", flag)
			}
			out = append(out, a)
		}
		return out, nil
	}
	if targets, err = parse("target", f.targets); err != nil {
		return nil, nil, err
	}
	replace, err = parse("replace", f.replace)
	return targets, replace, err
}

const stepUsage = `  -target=STEP       Plan only STEP (KIND.NAME) and what it needs.
                     Repeatable.
  -replace=STEP      Run STEP even if it is cached. Repeatable.
`

// openWorkspace loads the pipeline and opens its store, printing
// diagnostics. vals, when not nil, override variable values (a saved
// plan's).
func (c *cli) openWorkspace(ctx context.Context, path string, f *workspaceFlags, vals map[string]cty.Value) (*workspace.Workspace, error) {
	w, diags := workspace.Resolve(workspace.Options{
		Path:     path,
		Kinds:    c.kinds,
		Vars:     eval.VarInputs{Env: c.env, Args: f.vars.args, Values: vals},
		Store:    f.store,
		StateDir: f.stateDir,
		Registry: f.registry,
		Env:      c.env,

		AllowMissingVars: f.allowMissingVars,
	})
	c.printLoadDiagnostics(w, diags)
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
