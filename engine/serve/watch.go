package serve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// maxDebounces bounds how long a stream of events can put a check off:
// 12 debounce periods after its first event.
const maxDebounces = 12

// watcher turns file system events in the pipeline folder and the data
// folders into watch triggers, after a debounce.
type watcher struct {
	s  *Server
	fs *fsnotify.Watcher

	mu sync.Mutex
	// watched are the folders given to fsnotify; wanted those the last
	// load asked for (a missing one is watched through a parent).
	watched map[string]bool
	wanted  []string
	hidden  map[string]bool
}

// newWatcher starts watching the pipeline folder.
func newWatcher(s *Server) (*watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("serve: cannot watch files: %w. Raise fs.inotify.max_user_instances, or run with -watch=false", err)
	}
	w := &watcher{s: s, fs: fw, watched: map[string]bool{}, hidden: map[string]bool{}}
	if err := w.apply([]string{s.dir}); err != nil {
		fw.Close()
		return nil, err
	}
	s.mu.Lock()
	s.watch = w
	s.mu.Unlock()
	return w, nil
}

func (s *Server) watcherRef() *watcher {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.watch
}

// setFolders watches the pipeline folder and the data folders of a load.
// A load with errors keeps the data folders of the last good one.
func (w *watcher) setFolders(l *loaded) {
	w.mu.Lock()
	wanted := []string{w.s.dir}
	if l.valid {
		w.hidden = l.hidden
		state := filepath.Clean(l.ws.StateDir)
		for _, f := range l.folders {
			if f == state || strings.HasPrefix(f, state+string(filepath.Separator)) {
				continue // the state folder changes with every run
			}
			wanted = append(wanted, f)
		}
	} else {
		wanted = append(wanted, w.wanted[min(1, len(w.wanted)):]...)
	}
	w.mu.Unlock()
	if err := w.apply(wanted); err != nil {
		w.s.log.Error("cannot watch a folder; changes in it will not trigger applies", "error", err)
	}
}

// apply makes fsnotify watch exactly the existing folders nearest to
// wanted.
func (w *watcher) apply(wanted []string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	targets := map[string]bool{}
	for _, f := range wanted {
		targets[nearestExisting(f)] = true
	}
	var errs []error
	var added, removed []string
	for t := range targets {
		if w.watched[t] {
			continue
		}
		if err := w.fs.Add(t); err != nil {
			errs = append(errs, fmt.Errorf("serve: watching %s: %w", w.shown(t), err))
			continue
		}
		w.watched[t] = true
		added = append(added, t)
	}
	for t := range w.watched {
		if targets[t] {
			continue
		}
		_ = w.fs.Remove(t) // fails when the folder is gone, which removed it already
		delete(w.watched, t)
		removed = append(removed, t)
	}
	w.wanted = slices.Clone(wanted)
	if len(added)+len(removed) > 0 {
		w.s.log.Info("watching", "folders", w.shownList(sortedKeys(w.watched)), "added", w.shownList(added), "removed", w.shownList(removed))
	}
	return errors.Join(errs...)
}

// shown names a folder in logs and on the page, hiding those that come
// from sensitive values. The caller holds w.mu.
func (w *watcher) shown(f string) string {
	if w.hidden[f] {
		return "(sensitive value)"
	}
	return f
}

// describe is shown for callers that do not hold w.mu.
func (w *watcher) describe(f string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.shown(f)
}

func (w *watcher) shownList(fs []string) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, w.shown(f))
	}
	slices.Sort(out)
	return out
}

// folders returns the watched folders, for the page and the API.
func (w *watcher) folders() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.shownList(sortedKeys(w.watched))
}

// nearestExisting returns f, or its nearest parent that exists.
func nearestExisting(f string) string {
	for {
		if info, err := os.Stat(f); err == nil && info.IsDir() {
			return f
		}
		parent := filepath.Dir(f)
		if parent == f {
			return f
		}
		f = parent
	}
}

// run turns events into debounced triggers until ctx ends.
func (w *watcher) run(ctx context.Context) {
	defer w.fs.Close()
	debounce := w.s.opts.Debounce
	var (
		timer  <-chan time.Time
		first  time.Time
		reason string
	)
	wake := func(what string) {
		now := w.s.clock.Now()
		if first.IsZero() {
			first, reason = now, what
		}
		wait := debounce
		if deadline := first.Add(maxDebounces * debounce); now.Add(wait).After(deadline) {
			wait = max(deadline.Sub(now), 0)
		}
		timer = w.s.clock.After(wait)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.fs.Events:
			if !ok {
				return
			}
			if w.ignore(e) {
				continue
			}
			where := w.describe(filepath.Dir(e.Name))
			w.s.log.Debug("file event", "op", e.Op.String(), "folder", where)
			wake("change in " + where)
		case err, ok := <-w.fs.Errors:
			if !ok {
				return
			}
			// An overflow loses events: check anyway.
			w.s.log.Warn("file watcher error; checking for changes", "error", err)
			wake("watcher error")
		case <-timer:
			timer, first = nil, time.Time{}
			w.s.queue.push(request{trigger: triggerWatch, reason: reason})
		}
	}
}

// ignore drops events that never change what a run reads: the state
// folder, the registry's files.
func (w *watcher) ignore(e fsnotify.Event) bool {
	state, reg := w.s.stateDir(), w.s.registryPath()
	name := filepath.Clean(e.Name)
	if state != "" && (name == state || strings.HasPrefix(name, state+string(filepath.Separator))) {
		return true
	}
	if reg != "" && strings.HasPrefix(name, reg) {
		return true // registry.db, -wal, -shm, -journal
	}
	return false
}

func (s *Server) registryPath() string {
	s.resMu.RLock()
	defer s.resMu.RUnlock()
	return s.res.registryPath
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
