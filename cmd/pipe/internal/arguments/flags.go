package arguments

import (
	"errors"
	"flag"
	"io"
	"strings"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/eval"
)

// newFlags is a command's flag set, quiet: errors are returned, not
// printed.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses a command's flags, allowing them before and after the
// positional arguments, which it returns. Every command takes -no-color.
func parse(fs *flag.FlagSet, args []string, view *View) ([]string, error) {
	fs.BoolVar(&view.NoColor, "no-color", false, "")
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, ErrHelp
			}
			return nil, &Error{Msg: err.Error(), Usage: true}
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// parsePath parses a command's flags and its single optional PATH
// argument, default ".".
func parsePath(fs *flag.FlagSet, args []string, view *View) (string, error) {
	args, err := parse(fs, args, view)
	if err != nil {
		return "", err
	}
	return onePath(args)
}

// onePath returns the single optional PATH argument, default ".".
func onePath(args []string) (string, error) {
	switch len(args) {
	case 0:
		return ".", nil
	case 1:
		return args[0], nil
	}
	return "", usageErrorf("too many arguments: %s", strings.Join(args, " "))
}

// parsePathAnd parses a command's flags and its positional arguments: an
// optional leading PATH (default ".") and the n arguments it needs.
func parsePathAnd(fs *flag.FlagSet, args []string, view *View, n int) (string, []string, error) {
	args, err := parse(fs, args, view)
	if err != nil {
		return "", nil, err
	}
	return pathAndArgs(args, n)
}

// pathAndArgs splits positional arguments into the optional leading PATH
// (default ".") and the n arguments the command needs.
func pathAndArgs(args []string, n int) (string, []string, error) {
	switch len(args) {
	case n:
		return ".", args, nil
	case n + 1:
		return args[0], args[1:], nil
	}
	what := "too many arguments"
	if len(args) < n {
		what = "missing arguments"
	}
	return "", nil, usageErrorf("%s: %s", what, strings.Join(args, " "))
}

// Vars are what a pipeline is loaded with from the command line: -var
// and -var-file, in the order given (a later one overrides an earlier
// one, as in Terraform), and -allow-path.
type Vars struct {
	Args []eval.VarArg
	// AllowPaths are -allow-path: folders the pipeline may read and
	// write besides its own.
	AllowPaths stringList
}

type varAssign struct{ v *Vars }
type varFile struct{ v *Vars }

func (f varAssign) String() string { return "" }
func (f varAssign) Set(s string) error {
	f.v.Args = append(f.v.Args, eval.VarArg{Assign: s})
	return nil
}
func (f varFile) String() string { return "" }
func (f varFile) Set(s string) error {
	f.v.Args = append(f.v.Args, eval.VarArg{File: s})
	return nil
}

func (v *Vars) register(fs *flag.FlagSet) {
	fs.Var(varAssign{v}, "var", "")
	fs.Var(varFile{v}, "var-file", "")
	fs.Var(&v.AllowPaths, "allow-path", "")
}

// VarsHelp documents [Vars] in a command's usage.
const VarsHelp = `  -var 'NAME=VALUE'  Set a variable. Repeatable; later ones win.
  -var-file=FILE     Set variables from an HCL or JSON file. Repeatable.
                     Variables also come from PIPE_VAR_NAME environment
                     variables, which -var and -var-file override.
  -allow-path=DIR    Let the pipeline's steps and file functions read and
                     write in DIR too, besides the pipeline folder and
                     settings.allowed_paths. Repeatable; also
                     PIPE_ALLOWED_PATHS (folders separated by ':').
`

// Workspace are the flags of every command that opens a pipeline's store
// and state.
type Workspace struct {
	Vars
	// Store is -store, StateDir -state-dir, Registry -registry; "" means
	// the default.
	Store, StateDir, Registry string
	// Executor is -executor, for the commands that plan or run steps
	// (registerExecutor); "" means the default.
	Executor string
}

// registerExecutor adds -executor, for the commands that plan or run
// steps.
func (w *Workspace) registerExecutor(fs *flag.FlagSet) {
	fs.StringVar(&w.Executor, "executor", "", "")
}

// ExecutorHelp documents -executor in a command's usage.
const ExecutorHelp = `  -executor=NAME     Where steps run unless their resources block says:
                     local (this process), process (a child process a
                     step) or kubernetes (a Job a step).
                     Default: PIPE_EXECUTOR, settings.executor, or local.
                     Steps that read local files or hold a sensitive value
                     stay in this process.
`

func (w *Workspace) register(fs *flag.FlagSet) {
	w.Vars.register(fs)
	fs.StringVar(&w.Store, "store", "", "")
	fs.StringVar(&w.StateDir, "state-dir", "", "")
	fs.StringVar(&w.Registry, "registry", "", "")
}

// WorkspaceHelp documents [Workspace] in a command's usage.
const WorkspaceHelp = VarsHelp + `  -store=URL         Blob store for artifacts and the cache: file://DIR,
                     gs://BUCKET/PREFIX, s3://BUCKET/PREFIX or mem://.
                     Default: PIPE_STORE, settings.store, or .pipe/store.
  -state-dir=DIR     Folder for local state (stat cache, lock, registry).
                     Default: PIPE_STATE_DIR, or .pipe beside the pipeline.
  -registry=FILE     SQLite lineage registry. Default: PIPE_REGISTRY, or
                     registry.db in the state folder.
`

// Steps are -target and -replace: the steps to plan (with what they
// need) and the steps to run even when cached.
type Steps struct {
	Targets, Replace []config.StepAddr
	targets, replace stringList
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

func (s *Steps) register(fs *flag.FlagSet) {
	fs.Var(&s.targets, "target", "")
	fs.Var(&s.replace, "replace", "")
}

// resolve parses the addresses given.
func (s *Steps) resolve() error {
	var err error
	if s.Targets, err = StepAddrs("target", s.targets); err != nil {
		return err
	}
	s.Replace, err = StepAddrs("replace", s.replace)
	return err
}

// StepAddrs parses the step addresses given to -flag.
func StepAddrs(flag string, list []string) ([]config.StepAddr, error) {
	var out []config.StepAddr
	for _, s := range list {
		a, err := config.ParseStepAddr(s)
		if err != nil {
			return nil, errorf("name a step as KIND.NAME, e.g. -"+flag+"=train.model; pipe graph lists them", "-%s=%s: %q is not a step address", flag, s, s)
		}
		out = append(out, a)
	}
	return out, nil
}

// StepsHelp documents [Steps] in a command's usage.
const StepsHelp = `  -target=STEP       Plan only STEP (KIND.NAME) and what it needs.
                     Repeatable.
  -replace=STEP      Run STEP even if it is cached. Repeatable.
`

// Registry says where the lineage registry of the commands that browse or
// change it (runs, models, lineage) is.
type Registry struct {
	// StateDir is -state-dir, File -registry, Store -store; "" means the
	// default.
	StateDir, File, Store string
}

func (r *Registry) register(fs *flag.FlagSet) {
	fs.StringVar(&r.StateDir, "state-dir", "", "")
	fs.StringVar(&r.File, "registry", "", "")
	fs.StringVar(&r.Store, "store", "", "")
}

// RegistryHelp documents [Registry] in a command's usage.
const RegistryHelp = `  -state-dir=DIR     Folder for local state. Default: PIPE_STATE_DIR, or
                     .pipe beside the pipeline.
  -store=URL         The store, whose log holds the registry's history.
                     Default: PIPE_STORE, settings.store, or the state
                     folder's store.
  -registry=FILE     The registry's local index (SQLite), brought up to
                     date from the store's log first. Default:
                     PIPE_REGISTRY, or registry.db in the state folder (or
                     settings.registry). A file named here is read with
                     the store it was last used with.
`
