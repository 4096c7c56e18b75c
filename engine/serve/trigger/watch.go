package trigger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/pipe-ml/pipe/engine/registry"
)

// maxDebounces bounds how long a stream of events can put a check off:
// 12 debounce periods after its first event.
const maxDebounces = 12

// WatcherOptions configure a Watcher.
type WatcherOptions struct {
	// Dir is the pipeline folder, always watched.
	Dir string
	// Debounce is how long the watched folders must be quiet before a
	// request is pushed.
	Debounce time.Duration
	Clock    Clock
	Push     Push
	Log      *slog.Logger
	// StateDir and RegistryPath say where the state folder and the
	// registry are now (they may move with the pipeline's settings):
	// events there never change what a run reads, so they are ignored.
	StateDir, RegistryPath func() string
}

// Watcher turns file system events in the pipeline folder and the data
// folders into watch requests, after a debounce.
type Watcher struct {
	opts WatcherOptions
	fs   *fsnotify.Watcher

	mu sync.Mutex
	// watched are the folders given to fsnotify; wanted those the last
	// load asked for (a missing one is watched through a parent).
	watched map[string]bool
	wanted  []string
	hidden  map[string]bool
}

// NewWatcher starts watching the pipeline folder.
func NewWatcher(opts WatcherOptions) (*Watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("serve: cannot watch files: %w. Raise fs.inotify.max_user_instances, or run with -watch=false", err)
	}
	w := &Watcher{opts: opts, fs: fw, watched: map[string]bool{}, hidden: map[string]bool{}}
	if err := w.apply([]string{opts.Dir}); err != nil {
		fw.Close()
		return nil, err
	}
	return w, nil
}

// SetData watches the pipeline folder and the data folders of a load
// that had no errors, leaving out the state folder (which changes with
// every run). A nil data, for a load with errors, keeps the data folders
// of the last good one.
func (w *Watcher) SetData(data *DataFolders, stateDir string) {
	w.mu.Lock()
	wanted := []string{w.opts.Dir}
	if data != nil {
		w.hidden = data.Hidden
		state := filepath.Clean(stateDir)
		for _, f := range data.Paths {
			if f == state || strings.HasPrefix(f, state+string(filepath.Separator)) {
				continue
			}
			wanted = append(wanted, f)
		}
	} else {
		wanted = append(wanted, w.wanted[min(1, len(w.wanted)):]...)
	}
	w.mu.Unlock()
	if err := w.apply(wanted); err != nil {
		w.opts.Log.Error("cannot watch a folder; changes in it will not trigger applies", "error", err)
	}
}

// apply makes fsnotify watch exactly the existing folders nearest to
// wanted.
func (w *Watcher) apply(wanted []string) error {
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
		w.opts.Log.Info("watching", "folders", w.shownList(slices.Sorted(maps.Keys(w.watched))), "added", w.shownList(added), "removed", w.shownList(removed))
	}
	return errors.Join(errs...)
}

// shown names a folder in logs and on the page, hiding those that come
// from sensitive values. The caller holds w.mu.
func (w *Watcher) shown(f string) string {
	if w.hidden[f] {
		return "(sensitive value)"
	}
	return f
}

// describe is shown for callers that do not hold w.mu.
func (w *Watcher) describe(f string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.shown(f)
}

func (w *Watcher) shownList(fs []string) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, w.shown(f))
	}
	slices.Sort(out)
	return out
}

// Folders returns the watched folders, sorted, for the page and the API.
// A nil Watcher watches none.
func (w *Watcher) Folders() []string {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.shownList(slices.Sorted(maps.Keys(w.watched)))
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

// Run turns events into debounced requests until ctx ends, then stops
// watching.
func (w *Watcher) Run(ctx context.Context) {
	defer w.fs.Close()
	debounce := w.opts.Debounce
	var (
		timer  <-chan time.Time
		first  time.Time
		reason string
	)
	wake := func(what string) {
		now := w.opts.Clock.Now()
		if first.IsZero() {
			first, reason = now, what
		}
		wait := debounce
		if deadline := first.Add(maxDebounces * debounce); now.Add(wait).After(deadline) {
			wait = max(deadline.Sub(now), 0)
		}
		timer = w.opts.Clock.After(wait)
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
			w.opts.Log.Debug("file event", "op", e.Op.String(), "folder", where)
			wake("change in " + where)
		case err, ok := <-w.fs.Errors:
			if !ok {
				return
			}
			// An overflow loses events: check anyway.
			w.opts.Log.Warn("file watcher error; checking for changes", "error", err)
			wake("watcher error")
		case <-timer:
			timer, first = nil, time.Time{}
			w.opts.Push(Request{Trigger: registry.TriggerWatch, Reason: reason})
		}
	}
}

// ignore drops events that never change what a run reads: the state
// folder, the registry's files.
func (w *Watcher) ignore(e fsnotify.Event) bool {
	state, reg := w.opts.StateDir(), w.opts.RegistryPath()
	name := filepath.Clean(e.Name)
	if state != "" && (name == state || strings.HasPrefix(name, state+string(filepath.Separator))) {
		return true
	}
	if reg != "" && strings.HasPrefix(name, reg) {
		return true // registry.db, -wal, -shm, -journal
	}
	return false
}
