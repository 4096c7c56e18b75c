package resources

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pipe-ml/pipe/engine/lock"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/signing"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/engine/workspace"
)

// ErrNotLoaded is what readers get before any load succeeded: the store
// and registry locations may come from the pipeline's settings.
var ErrNotLoaded = errors.New("serve: the pipeline has not loaded yet, so where its store and registry are is not known")

// Resources are the store and the registry of the last pipeline that
// loaded, kept open for the readers (the API, the page, the metrics).
// Applies open their own. The zero value holds none; it is safe for
// concurrent use.
type Resources struct {
	mu                  sync.RWMutex
	storeURL, baseDir   string
	key                 *signing.Key
	registryPath, state string
	store               *store.Store
	storeErr            error
	db                  *registry.DB
	dbErr               error
	// synced is when WithRegistry last brought the registry up to date
	// from the store's log (UnixNano).
	synced atomic.Int64
}

// SyncEvery is how often, at most, readers bring the registry's index up
// to date from the store's log: every read of the registry does when the
// last sync is older.
const SyncEvery = time.Second

// Open (re)opens the store and the registry when the loaded workspace
// names other ones than those open. A failure is kept and returned to
// readers, who make Open try again.
func (r *Resources) Open(ctx context.Context, ws *workspace.Workspace) {
	r.mu.Lock()
	defer r.mu.Unlock()
	storeChanged := ws.StoreURL != r.storeURL || r.store == nil || ws.Key.ID() != r.key.ID()
	if storeChanged {
		// The registry's log is in the store: it goes with it.
		if r.db != nil {
			r.db.Close()
			r.db = nil
		}
		if r.store != nil {
			r.store.Close()
		}
		r.storeURL, r.baseDir, r.key, r.store, r.storeErr = ws.StoreURL, ws.Pipeline.Config.Dir, ws.Key, nil, nil
		r.openStore(ctx)
	}
	if ws.RegistryPath != r.registryPath || r.db == nil {
		if r.db != nil {
			r.db.Close()
		}
		r.registryPath, r.state, r.db, r.dbErr = ws.RegistryPath, ws.StateDir, nil, nil
		r.openRegistry(ctx)
	}
}

func (r *Resources) openStore(ctx context.Context) {
	r.store, r.storeErr = store.OpenOptions(ctx, r.storeURL, r.baseDir, &store.Options{Key: r.key})
}

func (r *Resources) openRegistry(ctx context.Context) {
	if err := os.MkdirAll(filepath.Dir(r.registryPath), 0o755); err != nil {
		r.dbErr = fmt.Errorf("serve: creating the registry's folder: %w", err)
		return
	}
	r.db, r.dbErr = registry.Open(ctx, r.registryPath, &registry.Options{Store: r.store, NoSync: true})
	r.synced.Store(0)
}

// WithStore calls fn with the open store, opening it again if it failed
// before. It returns ErrNotLoaded before the first good load.
func (r *Resources) WithStore(ctx context.Context, fn func(*store.Store) error) error {
	if err := r.retryOpen(ctx, func() bool { return r.store == nil }, r.openStore); err != nil {
		return err
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.store == nil {
		return r.storeErr
	}
	return fn(r.store)
}

// WithRegistry calls fn with the open registry, opening it again if it
// failed before, and brought up to date from the store's log when the
// last sync is older than SyncEvery (a store that cannot be reached
// leaves it answering as it stands; its Status says so). It returns
// ErrNotLoaded before the first good load.
func (r *Resources) WithRegistry(ctx context.Context, fn func(*registry.DB) error) error {
	if err := r.retryOpen(ctx, func() bool { return r.db == nil }, r.openRegistry); err != nil {
		return err
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.db == nil {
		return r.dbErr
	}
	if last := r.synced.Load(); time.Since(time.Unix(0, last)) > SyncEvery {
		r.synced.Store(time.Now().UnixNano())
		r.db.Sync(ctx)
	}
	return fn(r.db)
}

// retryOpen runs open when missing says the resource is not open, and
// returns ErrNotLoaded when no load has told where it is. missing and
// open are called with r.mu held.
func (r *Resources) retryOpen(ctx context.Context, missing func() bool, open func(context.Context)) error {
	r.mu.RLock()
	known, need := r.storeURL != "", missing()
	r.mu.RUnlock()
	if !known {
		return ErrNotLoaded
	}
	if need {
		r.mu.Lock()
		if missing() {
			open(ctx)
		}
		r.mu.Unlock()
	}
	return nil
}

// StateDir is the state folder of the last good load, or "".
func (r *Resources) StateDir() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.state
}

// RegistryPath is the registry file of the last good load, or "".
func (r *Resources) RegistryPath() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.registryPath
}

// lockLease is how old a lock's heartbeat may be for its holder to count
// as alive (engine/lock's lease is 60 s).
const lockLease = 90 * time.Second

// OtherApply reports whether another process holds the state lock for an
// apply (the CronJob's, a person's).
func (r *Resources) OtherApply() bool {
	dir := r.StateDir()
	if dir == "" {
		return false
	}
	info, held, err := lock.Holder(dir)
	return err == nil && held && info.Operation == "apply" && time.Since(info.Heartbeat) < lockLease
}

// Close closes the store and the registry.
func (r *Resources) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.store != nil {
		r.store.Close()
		r.store = nil
	}
	if r.db != nil {
		r.db.Close()
		r.db = nil
	}
}
