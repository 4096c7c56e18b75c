package serve

import (
	"context"

	"github.com/pipe-ml/pipe/engine/serve/api"
	"github.com/pipe-ml/pipe/engine/serve/snapshot"
	"github.com/pipe-ml/pipe/engine/serve/trigger"
)

// reload loads the pipeline and makes everything that depends on it
// current: the redactor, readiness, the validity metric, the store and
// registry handles, and the watched folders.
func (s *Server) reload(ctx context.Context) *snapshot.Snapshot {
	l := s.loader.Load()
	s.secrets.Store(l.Redactor)
	s.mu.Lock()
	prev := s.last
	s.last = l
	s.mu.Unlock()
	s.met.SetValid(l.Name, l.Valid)
	switch {
	case !l.Valid:
		attrs := []any{"pipeline", l.Name, "errors", snapshot.CountErrors(l.Diags)}
		if e := snapshot.FirstError(l.Redact(l.Diags)); e != "" {
			attrs = append(attrs, "first_error", e)
		}
		if prev == nil || prev.Valid || prev.Generation != l.Generation {
			s.log.Error("the pipeline does not load; nothing runs until it is fixed", attrs...)
		}
	case prev != nil && !prev.Valid:
		s.log.Info("the pipeline loads again", "pipeline", l.Name)
	}
	if l.Valid {
		s.res.Open(ctx, l.Workspace)
		s.met.EnsureSeries(l.Name, l.Workspace.Pipeline.Config)
	}
	if w := s.watcher(); w != nil {
		if l.Valid {
			w.SetData(trigger.FoldersOf(l.Workspace), l.Workspace.StateDir)
		} else {
			w.SetData(nil, "")
		}
	}
	return l
}

// snapshot is the last load, or nil before the first.
func (s *Server) snapshot() *snapshot.Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func (s *Server) watcher() *trigger.Watcher {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.watch
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// inProgress reports whether serve applies, or another process holds the
// state lock for an apply.
func (s *Server) inProgress() bool {
	return s.applier.Applying() || s.res.OtherApply()
}

// status gathers the server's state for /api/status and the page
// (engine/serve/api adds the diagnostics of the last load).
func (s *Server) status() api.Status {
	st := api.Status{
		Schedule:    scheduleString(s.opts.Schedule),
		NextRun:     s.scheduler.Next(),
		Current:     s.applier.Current(),
		LastCheck:   s.applier.LastCheck(),
		PipeVersion: s.opts.PipeVersion,
		Watching:    s.watcher().Folders(),
		InProgress:  s.inProgress(),
	}
	if l := s.snapshot(); l != nil {
		st.Pipeline, st.Valid, st.LoadedAt = l.Name, l.Valid, l.At
	}
	return st
}
