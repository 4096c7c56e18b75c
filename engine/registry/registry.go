package registry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pipe-ml/pipe/engine/registry/index"
	"github.com/pipe-ml/pipe/engine/registry/txlog"
	"github.com/pipe-ml/pipe/engine/signing"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/engine/tempfile"
)

// DefaultBusyTimeout is how long a write to the local index waits for
// another process's write to finish before it fails.
const DefaultBusyTimeout = index.DefaultBusyTimeout

// DefaultCheckpointEvery is how many log entries apart checkpoints are
// written.
const DefaultCheckpointEvery = 500

// Options change how a registry is opened. A nil *Options means the
// defaults documented on each field.
type Options struct {
	// Store is the store whose log holds the registry's history. Nil
	// means the store the file was last used with, when there is one
	// (the file records it); else the registry is a file of its own,
	// with no log (tools, tests).
	Store *store.Store

	// Key is the team key the store the file recorded is opened with,
	// when Store is nil (engine/signing): the log's entries it did not
	// sign are not indexed. A given Store brings its own key.
	Key *signing.Key

	// ReadOnly records nothing: every method that would add to the
	// history fails. The local index is still brought up to date from
	// the store when its file can be written. A missing file with no
	// Store is an error instead of a new registry.
	ReadOnly bool

	// NoSync skips bringing the index up to date at Open.
	NoSync bool

	// BusyTimeout is how long a statement waits for another connection's
	// lock before failing with "database is busy". Zero means
	// DefaultBusyTimeout.
	BusyTimeout time.Duration

	// Now returns the current time for the timestamps the registry sets
	// itself (a run's end, an alias move). Nil means time.Now. Tests set it
	// to get stable output. Times are data: order comes from the log.
	Now func() time.Time

	// CheckpointEvery: the writer of every entry whose number is a
	// multiple of it also writes a checkpoint. Zero means
	// DefaultCheckpointEvery; a negative value, never.
	CheckpointEvery int

	// PipeVersion is recorded with the entries this process writes.
	PipeVersion string

	// Origin names the state folder this process works from (see
	// Run.Origin). Runs imported from a registry file from before the log
	// that were left running get it, so that the next run from the folder
	// marks them interrupted.
	Origin string
}

// DB is an open registry: the local index, kept in step with the log in
// the store. It is safe for concurrent use by many goroutines, and
// several processes, on any machines, may share the log; processes on one
// machine may share the index file too.
type DB struct {
	idx      *index.DB
	path     string
	readOnly bool
	now      func() time.Time
	opts     Options

	// log is nil for a registry of its own. storeURL is the store's URL
	// as bound (with its query); ownStore is a store Open opened from the
	// URL the file recorded, closed by Close; storeErr says why that
	// store could not be opened.
	log      *txlog.Log
	storeURL string
	ownStore *store.Store
	storeErr error

	syncMu   sync.Mutex
	verified bool // the index's last entry was checked against the log
	statusMu sync.Mutex
	status   SyncStatus

	commits committer

	downMu  sync.Mutex
	downErr error
	downAt  time.Time
}

// Open opens the registry at path: the local index, created when missing
// (from the newest checkpoint of the store's log when there is one), and
// migrated to this pipe's schema; with a store, it is brought up to date
// from the log (see Sync; a store that cannot be reached is not an error
// here: Status says the index is stale). A registry file from before the
// log is imported into it once, losslessly. Open fails when the file was
// written by a newer pipe. Close the DB when done.
func Open(ctx context.Context, path string, opts *Options) (*DB, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CheckpointEvery == 0 {
		o.CheckpointEvery = DefaultCheckpointEvery
	}
	if path == "" {
		return nil, errors.New("registry: no path given for the registry file")
	}
	// What a process killed while installing or snapshotting the index
	// left beside it (see engine/tempfile).
	_, _ = tempfile.Sweep(filepath.Dir(path))
	exists := fileExists(path)
	if o.ReadOnly && !exists && o.Store == nil {
		return nil, fmt.Errorf("registry: %s does not exist; it is created by the first `pipe apply`", path)
	}
	db := &DB{path: path, readOnly: o.ReadOnly, now: o.Now, opts: o}
	if o.Store != nil {
		db.log, db.storeURL = txlog.New(o.Store), urlOf(o.Store)
		if !exists {
			db.status.Err = db.restoreCheckpoint(ctx)
		}
	}
	idx, err := index.Open(ctx, path, index.Options{ReadOnly: o.ReadOnly && !writable(path), BusyTimeout: o.BusyTimeout})
	if err != nil {
		return nil, unprefix(err)
	}
	db.idx = idx
	if err := db.attach(ctx); err != nil {
		db.Close()
		return nil, err
	}
	switch {
	case db.log != nil && !o.NoSync:
		db.Sync(ctx)
	case db.log == nil && db.storeErr != nil:
		// The file answers as it stands, and Status says why.
		db.setStatus(0, db.storeErr)
	}
	return db, nil
}

// timeNow and txlogOf are the defaults Open uses.
var (
	timeNow = time.Now
	txlogOf = txlog.New
)

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// writable reports whether the file at path may be written (a missing
// file may be created).
func writable(path string) bool {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	f.Close()
	return true
}

// urlOf is the URL a store was opened with, query included, so that the
// registry file can open it again (an s3:// endpoint is in the query).
func urlOf(s *store.Store) string {
	loc := s.Location()
	u := loc.String()
	if len(loc.Query) > 0 {
		u += "?" + loc.Query.Encode()
	}
	return u
}

// Path returns the path the registry was opened with.
func (db *DB) Path() string { return db.path }

// StoreURL is the store whose log the registry keeps, "" for a registry
// of its own.
func (db *DB) StoreURL() string { return db.storeURL }

// Close closes the registry.
func (db *DB) Close() error {
	var errs []error
	if db.idx != nil {
		errs = append(errs, db.idx.Close())
	}
	if db.ownStore != nil {
		errs = append(errs, db.ownStore.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("registry: close: %w", err)
	}
	return nil
}

// read runs fn in one read transaction of the index.
func (db *DB) read(ctx context.Context, fn func(q index.Querier) error) error {
	return unprefix(db.idx.Read(ctx, fn))
}

// SchemaVersion is the newest schema of the local index this pipe knows.
func SchemaVersion() int { return index.SchemaVersion() }
