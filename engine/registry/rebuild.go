package registry

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/pipe-ml/pipe/engine/registry/index"
	"github.com/pipe-ml/pipe/engine/store"
)

// RebuildOptions change how Rebuild works. A nil *RebuildOptions means
// the defaults.
type RebuildOptions struct {
	// FromScratch replays every entry of the log instead of starting from
	// the newest checkpoint: slower, and a check of the checkpoints.
	FromScratch bool
	// Options holds the clock and the busy timeout, as for Open.
	Options Options
}

// Rebuild makes the index at path again from the log in s: a new index is
// built beside it (from the newest checkpoint and the entries after it,
// or from every entry) and then takes the place of what the file held,
// in one transaction, so that processes that have the file open go on
// with it. A missing file is made; a file that held another store's log
// is replaced too (its records are in the log it came from); a file from
// before the log, whose records are in no log, is imported into the log
// first, so nothing is lost. A damaged file (not SQLite, or pages cut
// short or overwritten) is moved aside, to its name with
// index.DamagedSuffix, and the new index takes its place. It returns how
// the new index stands.
func Rebuild(ctx context.Context, path string, s *store.Store, opts *RebuildOptions) (SyncStatus, error) {
	var o RebuildOptions
	if opts != nil {
		o = *opts
	}
	err := importBeforeRebuild(ctx, path, s, o.Options)
	if errors.Is(err, index.ErrDamaged) {
		err = moveDamagedAside(path)
	}
	if err != nil {
		return SyncStatus{}, err
	}
	tmp, st, err := buildBeside(ctx, path, s, o)
	defer removeIndexFiles(tmp)
	if err != nil {
		return st, err
	}
	if fileExists(path) {
		err = replaceWith(ctx, path, tmp, o.Options)
		if !errors.Is(err, index.ErrDamaged) {
			return st, err
		}
		if err := moveDamagedAside(path); err != nil {
			return st, err
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return st, fmt.Errorf("registry: %w", err)
	}
	return st, nil
}

// replaceWith replaces what the index at path holds by what the index at
// tmp holds, in one transaction.
func replaceWith(ctx context.Context, path, tmp string, o Options) error {
	idx, err := index.Open(ctx, path, index.Options{BusyTimeout: o.BusyTimeout})
	if err != nil {
		return unprefix(err)
	}
	defer idx.Close()
	return unprefix(idx.ReplaceFrom(ctx, tmp))
}

// moveDamagedAside renames a damaged index file (and its WAL files) to
// its name with index.DamagedSuffix, replacing an earlier one.
func moveDamagedAside(path string) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		err := os.Rename(path+suffix, path+index.DamagedSuffix+suffix)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("registry: moving the damaged %s aside: %w", path, err)
		}
	}
	return nil
}

// importBeforeRebuild imports the records of a file bound to no log (a
// registry from before the log) into the log in s first, as Open does:
// the index made from the log would otherwise replace them.
func importBeforeRebuild(ctx context.Context, path string, s *store.Store, o Options) error {
	if !fileExists(path) {
		return nil
	}
	idx, err := index.Open(ctx, path, index.Options{BusyTimeout: o.BusyTimeout})
	if err != nil {
		return unprefix(err)
	}
	st, err := idx.State(ctx)
	records := st.Entry > 0
	if err == nil && st.StoreURL == "" && !records {
		err = idx.Read(ctx, func(q index.Querier) error {
			records, err = index.HasRecords(ctx, q)
			return err
		})
	}
	idx.Close()
	if err != nil || st.StoreURL != "" || !records {
		return unprefix(err)
	}
	o.Store, o.ReadOnly, o.NoSync = s, false, true
	db, err := Open(ctx, path, &o)
	if err != nil {
		return err
	}
	return db.Close()
}

// Rebuild makes the open registry's index again from its log; see the
// function Rebuild.
func (db *DB) Rebuild(ctx context.Context) error {
	if db.log == nil {
		return fmt.Errorf("registry: %s keeps no log in a store, so there is nothing to rebuild it from", db.path)
	}
	db.syncMu.Lock()
	defer db.syncMu.Unlock()
	tmp, _, err := buildBeside(ctx, db.path, db.log.Store(), RebuildOptions{Options: db.opts})
	defer removeIndexFiles(tmp)
	if err != nil {
		return err
	}
	if err := db.idx.ReplaceFrom(ctx, tmp); err != nil {
		return unprefix(err)
	}
	db.verified = false
	db.setStatus(0, nil)
	return nil
}

// buildBeside builds an index of the log in s at a new file beside path,
// and returns its path and how it stands.
func buildBeside(ctx context.Context, path string, s *store.Store, o RebuildOptions) (string, SyncStatus, error) {
	tmp := path + ".rebuild"
	removeIndexFiles(tmp)
	db := &DB{path: tmp, now: o.Options.Now, opts: o.Options, storeURL: urlOf(s)}
	db.opts.Store, db.opts.CheckpointEvery = s, -1
	if db.now == nil {
		db.now = timeNow
	}
	db.log = txlogOf(s)
	if !o.FromScratch {
		if err := db.restoreCheckpoint(ctx); err != nil {
			return tmp, SyncStatus{}, err
		}
	}
	idx, err := index.Open(ctx, tmp, index.Options{BusyTimeout: o.Options.BusyTimeout})
	if err != nil {
		return tmp, SyncStatus{}, unprefix(err)
	}
	db.idx = idx
	defer db.idx.Close()
	if err := db.bind(ctx, false); err != nil {
		return tmp, SyncStatus{}, err
	}
	st, err := db.Sync(ctx)
	return tmp, st, err
}

// removeIndexFiles removes an index file and its WAL files.
func removeIndexFiles(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}
