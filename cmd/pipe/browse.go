package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/workspace"
)

// registryFlags say where the registry of the commands that browse or
// change it (runs, models, lineage) is.
type registryFlags struct {
	stateDir, registry string
}

func (f *registryFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.stateDir, "state-dir", "", "")
	fs.StringVar(&f.registry, "registry", "", "")
}

func (f *registryFlags) args() arguments.Registry {
	return arguments.Registry{StateDir: f.stateDir, File: f.registry}
}

const registryUsage = arguments.RegistryHelp

// openedRegistry is a registry opened for a command, and the pipeline it
// belongs to.
type openedRegistry struct {
	*registry.DB
	// Dir is the absolute pipeline folder: recorded file paths are
	// relative to it.
	Dir string
	// Pipeline is the pipeline's name, "" when the registry was named
	// directly and no pipeline was loaded.
	Pipeline string
}

// openRegistry opens the registry of the pipeline at path, where pipe
// apply records runs: -registry or PIPE_REGISTRY when given (the pipeline
// is then not read, so a registry can be browsed without its pipeline),
// else where the workspace puts it. A registry that does not exist yet is
// an error that says to apply first; a read-only one is never created.
func (c *cli) openRegistry(ctx context.Context, path string, f arguments.Registry, readOnly bool) (*openedRegistry, error) {
	var (
		regPath string
		out     = &openedRegistry{}
	)
	explicit := f.File
	if explicit == "" {
		explicit = c.getenv(workspace.EnvRegistry)
	}
	if explicit != "" {
		abs, err := filepath.Abs(explicit)
		if err != nil {
			return nil, err
		}
		regPath = abs
		dir, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		if st, err := os.Stat(dir); err == nil && !st.IsDir() {
			dir = filepath.Dir(dir)
		}
		out.Dir = dir
	} else {
		w, diags := workspace.Resolve(workspace.Options{
			Path: path, Kinds: c.kinds, AllowMissingVars: true,
			StateDir: f.StateDir, Env: c.env,
		})
		c.printLoadDiagnostics(w, diags)
		if diags.HasErrors() {
			return nil, errReported
		}
		regPath, out.Dir, out.Pipeline = w.RegistryPath, w.Pipeline.Config.Dir, w.Pipeline.Config.Name()
	}
	if _, err := os.Stat(regPath); errors.Is(err, os.ErrNotExist) {
		return nil, withHint(fmt.Errorf("no registry at %s yet: run pipe apply first", regPath), "pipe apply, or point -registry (PIPE_REGISTRY) at the registry")
	}
	db, err := registry.Open(ctx, regPath, &registry.Options{ReadOnly: readOnly})
	if err != nil {
		return nil, err
	}
	out.DB = db
	return out, nil
}

// pathAndArgs splits positional arguments into the optional leading PATH
// (default ".") and the n arguments the command needs.
func pathAndArgs(args []string, n int, usage string) (string, []string, error) {
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
	return "", nil, &exitErr{code: exitError, msg: fmt.Sprintf("%s: %s\n\n%s", what, strings.Join(args, " "), usage)}
}

// registryError turns the registry's "no such thing" errors into ones
// that show no package prefix; the message already says what to run.
func registryError(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(strings.TrimPrefix(err.Error(), "registry: "))
}

// Times in tables are UTC, to the second.
const tableTime = "2006-01-02 15:04:05"

func formatWhen(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(tableTime)
}

// formatDuration is how long something took, for a person: 850ms, 12.3s,
// 4m05s, 2h03m.
func formatDuration(started, ended time.Time) string {
	if started.IsZero() || ended.IsZero() {
		return "-"
	}
	d := ended.Sub(started)
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// shortCommit is a Git commit as a column: 12 digits, * when dirty.
func shortCommit(r *registry.Run) string {
	if r.GitCommit == "" {
		return "-"
	}
	c := r.GitCommit
	if len(c) > 12 {
		c = c[:12]
	}
	if r.GitDirty != nil && *r.GitDirty {
		c += "*"
	}
	return c
}

func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

// count says how many of a thing there are: "1 version", "3 versions".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// kindLabel names a step kind and its version once: "publish/1" for a
// version string that starts with the kind's name, else "train 1".
func kindLabel(kind, version string) string {
	if strings.HasPrefix(version, kind+"/") {
		return version
	}
	return kind + " " + version
}
