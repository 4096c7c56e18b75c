package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/workspace"
)

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
func (c *cli) openRegistry(ctx context.Context, v *views.View, path string, f arguments.Registry, readOnly bool) (*openedRegistry, error) {
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
		v.Diagnostics(diags, pipelineSources(w))
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

// registryError turns the registry's "no such thing" errors into ones
// that show no package prefix; the message already says what to run.
func registryError(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(strings.TrimPrefix(err.Error(), "registry: "))
}
