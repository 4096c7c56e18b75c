package stepenv

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/steps"
)

// mappings are the artifacts one step mapped, until the engine releases
// them after Run.
type mappings struct {
	mu   sync.Mutex
	list []*store.Mapping
}

// MapArtifact returns the content of a in place (see
// steps.ArtifactMapper and store.Store.Map): a memory map of a verified
// local copy where there is one, checked beside the step. The size is
// checked against a.Size at once; the digest by Verify, which
// PutArtifact, OpenBucket and the engine call before anything of the step
// is committed. The bytes stay valid until Release.
func (e *Env) MapArtifact(ctx context.Context, a steps.Artifact) ([]byte, error) {
	m, err := e.cfg.Store.Map(ctx, a.Digest)
	if err != nil {
		return nil, err
	}
	if int64(len(m.Bytes())) != a.Size {
		// A file cut short or grown behind pipe's back fails its check,
		// which moves it out of the way and names it, so that the next
		// apply makes the artifact again.
		err := m.Verify(ctx)
		if err == nil {
			err = fmt.Errorf("stepenv: artifact %s is %d bytes in the store, not %d as its value says", a.Digest, len(m.Bytes()), a.Size)
		}
		m.Close()
		return nil, err
	}
	if m.Path() != "" {
		e.cfg.Logger.Debug("artifact mapped", "digest", a.Digest, "path", m.Path(), "bytes", a.Size)
	}
	e.maps.mu.Lock()
	e.maps.list = append(e.maps.list, m)
	e.maps.mu.Unlock()
	return m.Bytes(), nil
}

// Verify waits for the checks of every artifact the step mapped so far
// and returns the first failure: a *store.CorruptError naming the object,
// which matches store.ErrCorrupt and store.ErrNotFound.
func (e *Env) Verify(ctx context.Context) error {
	e.maps.mu.Lock()
	list := append([]*store.Mapping(nil), e.maps.list...)
	e.maps.mu.Unlock()
	var errs []error
	for _, m := range list {
		if err := m.Verify(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Release unmaps every artifact the step mapped. The engine calls it once
// Run has returned (and Verify has), since the step's bytes are gone
// afterwards.
func (e *Env) Release() error {
	e.maps.mu.Lock()
	list := e.maps.list
	e.maps.list = nil
	e.maps.mu.Unlock()
	var errs []error
	for _, m := range list {
		errs = append(errs, m.Close())
	}
	return errors.Join(errs...)
}

// DropPages gives back the resident pages of b, a part of an artifact
// this step mapped (see steps.PageDropper and store.Mapping.DropPages).
func (e *Env) DropPages(b []byte) {
	e.maps.mu.Lock()
	defer e.maps.mu.Unlock()
	for _, m := range e.maps.list {
		m.DropPages(b)
	}
}
