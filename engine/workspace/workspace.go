package workspace

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/confine"
	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/filehash"
	"github.com/pipe-ml/pipe/engine/lock"
	"github.com/pipe-ml/pipe/engine/pipeline"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/signing"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/engine/tempfile"
	"github.com/pipe-ml/pipe/steps"
)

// Environment variables that move things.
const (
	EnvStore    = "PIPE_STORE"
	EnvStateDir = "PIPE_STATE_DIR"
	EnvRegistry = "PIPE_REGISTRY"
	EnvTrigger  = "PIPE_TRIGGER"
	EnvExecutor = "PIPE_EXECUTOR"
	// EnvAllowedPaths lists folders a pipeline may read and write
	// besides its own, separated by the system's list separator (':').
	EnvAllowedPaths = "PIPE_ALLOWED_PATHS"
)

// DefaultStateDir is the state folder, relative to the pipeline folder,
// when nothing moves it.
const DefaultStateDir = ".pipe"

// Options say which pipeline and where its things are.
type Options struct {
	// Path is the pipeline folder or file.
	Path  string
	Kinds *steps.Catalog
	Vars  eval.VarInputs
	// AllowMissingVars leaves required variables without values unknown.
	AllowMissingVars bool
	// Store, StateDir and Registry come from flags; "" means not given.
	Store, StateDir, Registry string
	// Executor comes from -executor; "" means not given.
	Executor string
	// AllowPaths come from -allow-path: folders the pipeline may read and
	// write besides its own (relative ones are relative to the working
	// directory).
	AllowPaths []string
	// Env is the environment, as os.Environ returns it.
	Env []string
}

// Workspace is a loaded pipeline and where its things live.
type Workspace struct {
	Pipeline *pipeline.Pipeline
	// StoreURL, StateDir and RegistryPath are resolved (absolute local
	// paths).
	StoreURL     string
	StateDir     string
	RegistryPath string
	// Executor runs the steps whose resources block names none: -executor,
	// PIPE_EXECUTOR, settings.executor, else local (engine/executor).
	Executor string
	// CacheDir and CacheMax are the local object cache's folder and
	// size bound, which a remote store uses (see objectcache.go).
	CacheDir string
	CacheMax int64
	// Store and Files are set by OpenStore.
	Store *store.Store
	Files *filehash.Cache
	// CacheProblem, set by OpenStore, says why a remote store has no
	// object cache (its folder cannot be written), for a warning.
	CacheProblem error
	// Key is the team key PIPE_KEY_FILE or PIPE_KEY configures, or nil:
	// what signs and checks what the store holds (engine/signing).
	Key *signing.Key

	localKey     *signing.Key
	localKeyErr  error
	localKeyOnce sync.Once
}

// HashKey returns the key that hashes sensitive values: the team key when
// one is configured, else the state folder's local key, made the first
// time (engine/signing). An error says the local key could not be made or
// read, and how to configure one instead.
func (w *Workspace) HashKey() (*signing.Key, error) {
	if w.Key != nil {
		return w.Key, nil
	}
	w.localKeyOnce.Do(func() { w.localKey, w.localKeyErr = signing.Local(w.StateDir) })
	return w.localKey, w.localKeyErr
}

// Getenv returns the value of name in env, or "".
func Getenv(env []string, name string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], name+"="); ok {
			return v
		}
	}
	return ""
}

// AllowedPaths returns the folders the command line (-allow-path, as
// flags) and the environment (PIPE_ALLOWED_PATHS) allow a pipeline
// besides its own, made absolute against the working directory.
func AllowedPaths(flags []string, env []string) []confine.Root {
	var roots []confine.Root
	add := func(p, from string) {
		if p == "" {
			return
		}
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		roots = append(roots, confine.Root{Path: p, From: from})
	}
	for _, p := range flags {
		add(p, "-allow-path")
	}
	for _, p := range filepath.SplitList(Getenv(env, EnvAllowedPaths)) {
		add(p, EnvAllowedPaths)
	}
	return roots
}

// Resolve loads and checks the pipeline and resolves its locations. It opens
// nothing else.
func Resolve(opts Options) (*Workspace, hcl.Diagnostics) {
	p, diags := pipeline.Load(pipeline.Options{
		Path: opts.Path, Kinds: opts.Kinds, Vars: opts.Vars, AllowMissingVars: opts.AllowMissingVars,
		AllowedPaths: AllowedPaths(opts.AllowPaths, opts.Env),
	})
	if p == nil || diags.HasErrors() {
		return &Workspace{Pipeline: p}, diags
	}
	w := &Workspace{Pipeline: p}
	dir := p.Config.Dir
	abs := func(path string) string {
		a, err := filepath.Abs(path)
		if err != nil {
			return path
		}
		return a
	}
	moved := false
	switch {
	case opts.StateDir != "":
		w.StateDir, moved = abs(opts.StateDir), true
	case Getenv(opts.Env, EnvStateDir) != "":
		w.StateDir, moved = abs(Getenv(opts.Env, EnvStateDir)), true
	default:
		w.StateDir = filepath.Join(dir, DefaultStateDir)
	}
	key, err := signing.FromEnv(opts.Env)
	if err != nil {
		return w, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Bad team key",
			Detail:   err.Error() + ". See docs/security.md, \"The team key\".",
		})
	}
	w.Key = key
	unknown := func(name string) hcl.Diagnostics {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Setting not known",
			Detail:   fmt.Sprintf("settings.%s uses a variable that has no value. Give it one with -var, -var-file or PIPE_VAR_NAME.", name),
			Subject:  p.Settings.Unknown[name].Ptr(),
		}}
	}
	switch {
	case opts.Store != "":
		w.StoreURL = absURL(opts.Store, abs)
	case Getenv(opts.Env, EnvStore) != "":
		w.StoreURL = absURL(Getenv(opts.Env, EnvStore), abs)
	case p.Settings.Unknown["store"] != (hcl.Range{}):
		return w, append(diags, unknown("store")...)
	case p.Settings.Store != "":
		w.StoreURL = absURL(p.Settings.Store, func(s string) string { return resolveIn(dir, s) })
	default:
		w.StoreURL = w.defaultStoreURL()
	}
	if d := w.resolveCache(opts.Env); d.HasErrors() {
		return w, append(diags, d...)
	}
	switch {
	case opts.Registry != "":
		w.RegistryPath = abs(opts.Registry)
	case Getenv(opts.Env, EnvRegistry) != "":
		w.RegistryPath = abs(Getenv(opts.Env, EnvRegistry))
	case !moved && p.Settings.Unknown["registry"] != (hcl.Range{}):
		return w, append(diags, unknown("registry")...)
	case moved || p.Settings.Registry == "":
		w.RegistryPath = filepath.Join(w.StateDir, "registry.db")
	default:
		w.RegistryPath = resolveIn(dir, p.Settings.Registry)
	}
	return w, append(diags, w.resolveExecutor(opts)...)
}

// resolveExecutor sets w.Executor: -executor, PIPE_EXECUTOR,
// settings.executor (checked when the pipeline loaded), else local.
func (w *Workspace) resolveExecutor(opts Options) hcl.Diagnostics {
	name, from := opts.Executor, "-executor"
	if name == "" {
		name, from = Getenv(opts.Env, EnvExecutor), EnvExecutor
	}
	switch {
	case name == "" && w.Pipeline.Settings.Executor != "":
		w.Executor = w.Pipeline.Settings.Executor
	case name == "":
		w.Executor = executor.LocalName
	case executor.Known(name):
		w.Executor = name
	default:
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unknown executor",
			Detail:   fmt.Sprintf("%s names the executor %q, which pipe does not have. Use one of %s.", from, name, strings.Join(executor.Names(), ", ")),
		}}
	}
	return nil
}

func (w *Workspace) ownStoreURL() string {
	return "file://" + filepath.ToSlash(filepath.Join(w.StateDir, "store"))
}

// OwnStore reports whether the store is the state folder's own (the
// default, file://STATE/store): a store no one shares, which only those
// who may write the state folder itself may write.
func (w *Workspace) OwnStore() bool { return w.StoreURL == w.ownStoreURL() }

func resolveIn(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

// absURL makes a local store location absolute with abs; remote URLs pass
// unchanged.
func absURL(u string, abs func(string) string) string {
	switch {
	case strings.HasPrefix(u, "file://"):
		p := strings.TrimPrefix(u, "file://")
		if p == "" || strings.Contains(p, "?") {
			return u
		}
		return "file://" + filepath.ToSlash(abs(p))
	case strings.Contains(u, "://"):
		return u
	default:
		return "file://" + filepath.ToSlash(abs(u))
	}
}

// OpenStore opens the store and the stat cache. A remote store gets the
// local object cache (CacheDir), where it also spools what it uploads.
// With a team key (Key), the store signs the cache entries it writes and
// trusts only those it signed (engine/store, signature.go).
func (w *Workspace) OpenStore(ctx context.Context) error {
	s, err := store.OpenOptions(ctx, w.StoreURL, w.Pipeline.Config.Dir, &store.Options{Cache: w.openCache(), Key: w.Key})
	if err != nil && cannotWrite(err) && w.StoreURL == w.defaultStoreURL() {
		return stateNotWritable(w.StateDir, err)
	}
	if err != nil {
		return err
	}
	w.Store = s
	w.Files = filehash.New(w.StateDir, nil)
	w.sweepTemps()
	return nil
}

// defaultStoreURL is the store in the state folder, used when nothing
// names another.
func (w *Workspace) defaultStoreURL() string {
	return "file://" + filepath.ToSlash(filepath.Join(w.StateDir, "store"))
}

// sweepTemps removes the temporary files that processes now gone left in
// the state folder and the store's folders (engine/tempfile: one listing
// of each, whatever their age; files in use are kept). Cleaning up is not
// the command's work: a folder that cannot be listed is left as it is.
func (w *Workspace) sweepTemps() {
	_, _ = tempfile.Sweep(w.StateDir)
	_, _ = w.Store.SweepTemps()
}

// Held is the locks an apply holds: the state folder's, and the registry
// folder's too when the registry lives elsewhere (a registry shared by
// several state folders must not see two applies of one pipeline at once,
// or the second would take the first's live run for a dead one).
type Held struct {
	locks    []*lock.Lock
	lost     chan struct{}
	lostOnce sync.Once
	done     chan struct{}
	doneOnce sync.Once
}

// Lost is closed when any of the locks is taken away (force-unlock).
func (h *Held) Lost() <-chan struct{} { return h.lost }

// Release releases every lock, in the reverse order of taking them.
func (h *Held) Release() error {
	h.doneOnce.Do(func() { close(h.done) })
	var errs []error
	for i := len(h.locks) - 1; i >= 0; i-- {
		errs = append(errs, h.locks[i].Release())
	}
	return errors.Join(errs...)
}

// Lock takes the locks for op ("apply"), waiting up to timeout for each:
// the registry folder's first (when it is not the state folder), then the
// state folder's, always in that order so two applies cannot deadlock.
func (w *Workspace) Lock(ctx context.Context, op string, timeout time.Duration) (*Held, error) {
	dirs := []string{}
	if regDir := filepath.Dir(w.RegistryPath); regDir != w.StateDir {
		dirs = append(dirs, regDir)
	}
	dirs = append(dirs, w.StateDir)
	h := &Held{lost: make(chan struct{}), done: make(chan struct{})}
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			h.Release()
			if cannotWrite(err) {
				return nil, stateNotWritable(dir, err)
			}
			return nil, fmt.Errorf("workspace: creating %s: %w. Set PIPE_STATE_DIR (or PIPE_REGISTRY) to a folder pipe may write", dir, err)
		}
		l, err := lock.Acquire(ctx, dir, lock.Info{Operation: op}, timeout)
		switch {
		case err != nil && cannotWrite(err):
			err = stateNotWritable(dir, err)
		case errors.Is(err, syscall.ENOSPC):
			err = stateFull(dir)
		}
		if err != nil {
			h.Release()
			return nil, err
		}
		h.locks = append(h.locks, l)
	}
	for _, l := range h.locks {
		go func() {
			select {
			case <-l.Lost():
				h.lostOnce.Do(func() { close(h.lost) })
			case <-h.done:
			}
		}()
	}
	return h, nil
}

// OpenRegistry opens the registry: the local index at RegistryPath, kept
// in step with the log in the store (OpenStore first), creating it unless
// readOnly. A missing registry opened read-only is rebuilt from the store
// when the store holds a log, else an error matching os.ErrNotExist.
func (w *Workspace) OpenRegistry(ctx context.Context, readOnly bool, pipeVersion string) (*registry.DB, error) {
	if readOnly && w.Store == nil {
		if _, err := os.Stat(w.RegistryPath); err != nil {
			return nil, fmt.Errorf("workspace: no registry at %s yet: %w", w.RegistryPath, err)
		}
	}
	return registry.Open(ctx, w.RegistryPath, &registry.Options{
		ReadOnly: readOnly, Store: w.Store, Origin: w.Origin(), PipeVersion: pipeVersion,
	})
}

// originFile, in the state folder, names it for the registry: runs
// record it, and a run from the folder marks the runs from it that a
// dead process left running as interrupted.
const originFile = "origin"

// Origin returns the state folder's origin ID, made (16 random hex
// digits) the first time. A state folder that cannot be written has
// none: "".
func (w *Workspace) Origin() string {
	p := filepath.Join(w.StateDir, originFile)
	if b, err := os.ReadFile(p); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b))
	}
	buf := make([]byte, 8)
	_, _ = rand.Read(buf)
	id := hex.EncodeToString(buf)
	if err := os.MkdirAll(w.StateDir, 0o755); err != nil {
		return ""
	}
	// Two processes may make one at once: the first to link wins, and
	// both read what it wrote.
	tmp, err := tempfile.Create(w.StateDir, "")
	if err != nil {
		return ""
	}
	defer tmp.Close() // after the link: open, it is ours (see engine/tempfile)
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(id + "\n"); err != nil {
		return ""
	}
	_ = os.Link(tmp.Name(), p)
	if b, err := os.ReadFile(p); err == nil {
		return strings.TrimSpace(string(b))
	}
	return ""
}

// Close saves the stat cache (when the state folder can be written) and
// closes the store.
func (w *Workspace) Close() error {
	var errs []error
	if w.Files != nil {
		if err := os.MkdirAll(w.StateDir, 0o755); err == nil {
			if err := w.Files.Save(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if w.Store != nil {
		errs = append(errs, w.Store.Close())
	}
	return errors.Join(errs...)
}
