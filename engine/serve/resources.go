package serve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/engine/workspace"
)

// resources are the store and the registry of the last pipeline that
// loaded, kept open for the HTTP handlers. Applies open their own.
type resources struct {
	storeURL, baseDir   string
	registryPath, state string
	store               *store.Store
	storeErr            error
	db                  *registry.DB
	dbErr               error
}

// errNotLoaded is what the handlers say before any load succeeded: the
// store and registry locations may come from the pipeline's settings.
var errNotLoaded = errors.New("serve: the pipeline has not loaded yet, so where its store and registry are is not known")

// openResources (re)opens the store and the registry when the loaded
// workspace names other ones than those open.
func (s *Server) openResources(ctx context.Context, ws *workspace.Workspace) {
	s.resMu.Lock()
	defer s.resMu.Unlock()
	r := &s.res
	if ws.StoreURL != r.storeURL || r.store == nil {
		if r.store != nil {
			r.store.Close()
		}
		r.storeURL, r.baseDir, r.store, r.storeErr = ws.StoreURL, ws.Pipeline.Config.Dir, nil, nil
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

func (r *resources) openStore(ctx context.Context) {
	r.store, r.storeErr = store.Open(ctx, r.storeURL, r.baseDir)
}

func (r *resources) openRegistry(ctx context.Context) {
	if err := os.MkdirAll(filepath.Dir(r.registryPath), 0o755); err != nil {
		r.dbErr = fmt.Errorf("serve: creating the registry's folder: %w", err)
		return
	}
	r.db, r.dbErr = registry.Open(ctx, r.registryPath, nil)
}

// withStore calls fn with the open store, opening it again if it failed
// before.
func (s *Server) withStore(ctx context.Context, fn func(*store.Store) error) error {
	if err := s.retryOpen(ctx, func(r *resources) bool { return r.store == nil }, (*resources).openStore); err != nil {
		return err
	}
	s.resMu.RLock()
	defer s.resMu.RUnlock()
	if s.res.store == nil {
		return s.res.storeErr
	}
	return fn(s.res.store)
}

// withRegistry calls fn with the open registry, opening it again if it
// failed before.
func (s *Server) withRegistry(ctx context.Context, fn func(*registry.DB) error) error {
	if err := s.retryOpen(ctx, func(r *resources) bool { return r.db == nil }, (*resources).openRegistry); err != nil {
		return err
	}
	s.resMu.RLock()
	defer s.resMu.RUnlock()
	if s.res.db == nil {
		return s.res.dbErr
	}
	return fn(s.res.db)
}

// retryOpen runs open when missing says the resource is not open, and
// returns errNotLoaded when no load has told where it is.
func (s *Server) retryOpen(ctx context.Context, missing func(*resources) bool, open func(*resources, context.Context)) error {
	s.resMu.RLock()
	known, need := s.res.storeURL != "", missing(&s.res)
	s.resMu.RUnlock()
	if !known {
		return errNotLoaded
	}
	if need {
		s.resMu.Lock()
		if missing(&s.res) {
			open(&s.res, ctx)
		}
		s.resMu.Unlock()
	}
	return nil
}

// stateDir is the state folder of the last good load, or "".
func (s *Server) stateDir() string {
	s.resMu.RLock()
	defer s.resMu.RUnlock()
	return s.res.state
}

func (s *Server) closeResources() {
	s.resMu.Lock()
	defer s.resMu.Unlock()
	if s.res.store != nil {
		s.res.store.Close()
		s.res.store = nil
	}
	if s.res.db != nil {
		s.res.db.Close()
		s.res.db = nil
	}
}
