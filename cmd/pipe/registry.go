package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
	"github.com/pipe-ml/pipe/engine/cachekey"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/signing"
	"github.com/pipe-ml/pipe/engine/store"
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
	// store is the store the command opened for the registry's log.
	store *store.Store
	// keys is the key sensitive model names are hashed with: the
	// workspace's, else the team key the environment configures.
	keys cachekey.Keys
}

// modelName returns the name the registry records the model name under:
// name itself when a model has it, else the keyed hash that stands for
// name when the pipeline gave it as a sensitive value and a model has
// that (registry.SensitiveName), else name.
func (r *openedRegistry) modelName(ctx context.Context, name string) string {
	if r.keys == nil || name == "" {
		return name
	}
	models, err := r.Models(ctx)
	if err != nil {
		return name
	}
	key, err := r.keys()
	if err != nil || key == nil {
		return name
	}
	hashed := registry.SensitiveName(key, name)
	found := false
	for _, m := range models {
		if m.Name == name {
			return name
		}
		found = found || m.Name == hashed
	}
	if found {
		return hashed
	}
	return name
}

// modelRef is modelName for NAME@SELECTOR.
func (r *openedRegistry) modelRef(ctx context.Context, ref string) string {
	name, sel, err := registry.ParseModelRef(ref)
	if err != nil {
		return ref
	}
	if n := r.modelName(ctx, name); n != name {
		return n + "@" + sel
	}
	return ref
}

// Close closes the registry and its store.
func (r *openedRegistry) Close() error {
	err := r.DB.Close()
	if r.store != nil {
		r.store.Close()
	}
	return err
}

// openRegistry opens the registry of the pipeline at path, brought up to
// date from the log in the pipeline's store: -registry or PIPE_REGISTRY
// when given (the pipeline is then not read, so a registry can be
// browsed without its pipeline, with the store the file was last used
// with), else where the workspace puts it. A registry file that is
// missing is rebuilt from the store's log; one that cannot be brought up
// to date answers as it stands, and a warning says so. With no history
// anywhere, the error says to apply first.
func (c *cli) openRegistry(ctx context.Context, v *views.View, path string, f arguments.Registry, readOnly bool) (*openedRegistry, error) {
	out := &openedRegistry{keys: func() (*signing.Key, error) { return signing.FromEnv(c.env) }}
	regPath, w, err := c.registryPath(path, f, v, out, false)
	if err != nil {
		return nil, err
	}
	existed := fileExists(regPath)
	opts := &registry.Options{ReadOnly: readOnly, PipeVersion: version}
	if w != nil {
		if out.store, err = store.OpenOptions(ctx, w.StoreURL, w.Pipeline.Config.Dir, &store.Options{Key: w.Key}); err != nil {
			return nil, err
		}
		opts.Store, opts.Origin = out.store, w.Origin()
		out.keys = w.HashKey
	} else if !existed {
		return nil, withHint(fmt.Errorf("no registry at %s yet: run pipe apply first", regPath), "pipe apply, or name an existing registry file; leave -registry out to read the pipeline's store")
	} else if opts.Key, err = signing.FromEnv(c.env); err != nil {
		// A file alone opens the store it recorded, with the team key.
		return nil, withHint(err, `docs/security.md, "The team key"`)
	}
	db, err := registry.Open(ctx, regPath, opts)
	if err != nil {
		if out.store != nil {
			out.store.Close()
		}
		return nil, err
	}
	out.DB = db
	st := db.Status()
	if !existed && st.Entry == 0 && !st.Stale() {
		out.Close()
		removeIndex(regPath)
		return nil, withHint(fmt.Errorf("no registry at %s yet: run pipe apply first (the store %s holds no history either)", regPath, db.StoreURL()), "pipe apply, or point -store (PIPE_STORE) at the store the runs were recorded in")
	}
	warnStale(v, st)
	return out, nil
}

// registryPath resolves where the registry file is, and the workspace
// when the pipeline was read: always when withPipeline, else not for a
// file named with -registry (or PIPE_REGISTRY) and no -store.
func (c *cli) registryPath(path string, f arguments.Registry, v *views.View, out *openedRegistry, withPipeline bool) (string, *workspace.Workspace, error) {
	explicit := f.File
	if explicit == "" {
		explicit = c.getenv(workspace.EnvRegistry)
	}
	if explicit != "" && f.Store == "" && !withPipeline {
		abs, err := filepath.Abs(explicit)
		if err != nil {
			return "", nil, err
		}
		dir, err := filepath.Abs(path)
		if err != nil {
			return "", nil, err
		}
		if st, err := os.Stat(dir); err == nil && !st.IsDir() {
			dir = filepath.Dir(dir)
		}
		out.Dir = dir
		return abs, nil, nil
	}
	w, diags := workspace.Resolve(workspace.Options{
		Path: path, Kinds: c.kinds, AllowMissingVars: true,
		StateDir: f.StateDir, Store: f.Store, Registry: f.File, Env: c.env,
	})
	v.Diagnostics(diags, pipelineSources(w))
	if diags.HasErrors() {
		return "", nil, errReported
	}
	out.Dir, out.Pipeline = w.Pipeline.Config.Dir, w.Pipeline.Config.Name()
	return w.RegistryPath, w, nil
}

// warnStale says, on stderr, that the registry answers from a local index
// that could not be brought up to date, and why.
func warnStale(v *views.View, st registry.SyncStatus) {
	v.Diagnostics(untrustedRecords(st), nil)
	if !st.Stale() {
		return
	}
	v.Diagnostics(hcl.Diagnostics{{
		Severity: hcl.DiagWarning,
		Summary:  "Registry not up to date",
		Detail:   strings.TrimPrefix(st.String(), "registry: "),
	}}, nil)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func removeIndex(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}

// registryError turns the registry's "no such thing" errors into ones
// that show no package prefix; the message already says what to run.
func registryError(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(strings.TrimPrefix(err.Error(), "registry: "))
}

type registryCmd struct{}

func (*registryCmd) Name() string { return "registry" }
func (*registryCmd) Synopsis() string {
	return "Show how up to date the registry's local index is, or rebuild it"
}
func (*registryCmd) Usage() string {
	return `Usage: pipe registry status [options] [PATH]
       pipe registry rebuild [options] [PATH]

The registry's history is a log in the pipeline's store, shared by every
machine that uses the store; each machine keeps a local index of it
(registry.db), which every command that reads the registry brings up to
date first. Deleting registry.db loses nothing.

  status     Bring the index up to date, and say which store's log it
             holds, up to which entry, and when it last reached the end.
  rebuild    Make the index again from the log (from the newest
             checkpoint and the entries after it), in place: for an
             index of another store's log, one whose store was replaced,
             a damaged one (kept as registry.db.damaged), or to check
             it.

Options:
  -from-scratch      rebuild: replay every entry of the log instead of
                     starting from a checkpoint.
  -json              status: print JSON.
` + arguments.RegistryHelp + `
Examples:
  pipe registry status
  pipe registry rebuild -store=gs://ml-store/pipe
`
}

func (*registryCmd) Run(ctx context.Context, c *cli, args []string) error {
	a, err := arguments.ParseRegistry(args)
	if err != nil {
		return err
	}
	v := c.view(a.View)
	view := views.NewRegistry(a.ViewType, v)
	if a.Sub == "status" {
		reg, err := c.openRegistry(ctx, v, a.Path, a.Registry, true)
		if err != nil {
			return err
		}
		defer reg.Close()
		return view.Status(reg.Path(), reg.Status())
	}
	regPath, w, err := c.registryPath(a.Path, a.Registry, v, &openedRegistry{}, true)
	if err != nil {
		return err
	}
	s, err := store.OpenOptions(ctx, w.StoreURL, w.Pipeline.Config.Dir, &store.Options{Key: w.Key})
	if err != nil {
		return err
	}
	defer s.Close()
	st, err := registry.Rebuild(ctx, regPath, s, &registry.RebuildOptions{FromScratch: a.FromScratch})
	if err != nil {
		return err
	}
	v.Diagnostics(untrustedRecords(st), nil)
	return view.Rebuilt(regPath, st)
}

// untrustedRecords are the warnings about the log entries the last syncs
// did not index because the team key does not vouch for them.
func untrustedRecords(st registry.SyncStatus) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, w := range st.UntrustedWarnings() {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: w.Summary, Detail: w.Detail})
	}
	return diags
}
