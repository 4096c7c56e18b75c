package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pipe-ml/pipe/engine/registry/index"
	"github.com/pipe-ml/pipe/engine/registry/txlog"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/engine/tempfile"
)

// attach settles which log the index holds. A file with no store given
// opens the store it recorded. A file new to the store is bound to its
// log (after checking that the store honours put-if-absent); a file that
// holds records the log lacks (a registry from before the log, or one
// that kept its own records, or one moving to a new, empty store) is
// imported into it; a file of the same log whose store moved is rebound.
func (db *DB) attach(ctx context.Context) error {
	st, err := db.idx.State(ctx)
	if err != nil {
		return unprefix(err)
	}
	if db.log == nil {
		return db.openRecordedStore(ctx, st)
	}
	if st.StoreURL == db.storeURL {
		return nil
	}
	records, err := db.hasRecords(ctx, st)
	if err != nil {
		return err
	}
	if !records {
		return db.bind(ctx, true)
	}
	same, empty, err := db.sameLog(ctx, st)
	switch {
	case err != nil:
		// Cannot tell now: answer from the file, record nothing.
		db.log, db.storeErr = nil, err
		return nil
	case same:
		return db.bind(ctx, false)
	case st.StoreURL != "" && !empty:
		return fmt.Errorf("registry: %s holds the history of the log in %s, and %s has a log of its own. Run `pipe registry rebuild` to index %s instead (%s keeps its history), or point -registry at another file",
			db.path, st.StoreURL, db.storeURL, db.storeURL, st.StoreURL)
	case db.readOnly || db.idx.ReadOnly():
		db.log, db.storeErr = nil, fmt.Errorf("registry: %s has records that the log in %s does not have yet; the next pipe apply imports them", db.path, db.storeURL)
		return nil
	}
	return db.importIntoLog(ctx)
}

// hasRecords reports whether the index holds anything: applied entries
// or, from before the log, records.
func (db *DB) hasRecords(ctx context.Context, st index.State) (bool, error) {
	if st.Entry > 0 {
		return true, nil
	}
	var has bool
	err := db.read(ctx, func(q index.Querier) error {
		var err error
		has, err = index.HasRecords(ctx, q)
		return err
	})
	return has, err
}

// sameLog reports whether the store's log is the one the index holds
// (its entry 1 has the index's log ID), and whether the log is empty.
func (db *DB) sameLog(ctx context.Context, st index.State) (same, empty bool, err error) {
	_, h, err := db.log.Read(ctx, 1)
	if errors.Is(err, store.ErrNotFound) {
		return false, true, nil
	}
	if err != nil {
		return false, false, err
	}
	return st.LogID != "" && h == st.LogID, false, nil
}

// bind records the store in the index. A new binding of a file that may
// write first checks that the store honours put-if-absent.
func (db *DB) bind(ctx context.Context, probe bool) error {
	if db.idx.ReadOnly() {
		return nil
	}
	if probe && !db.readOnly {
		if err := db.log.Store().CheckConditionalWrites(ctx); err != nil {
			if errors.Is(err, store.ErrNoConditionalWrites) {
				return fmt.Errorf("registry: the store %s cannot keep the registry's log: %w", db.storeURL, err)
			}
			// Unreachable: the first write will tell.
			db.status.Err = err
		}
	}
	return unprefix(db.idx.Write(ctx, func(tx *index.Tx) error { return tx.Bind(ctx, db.storeURL) }))
}

// openRecordedStore opens the store the file recorded, when it did.
func (db *DB) openRecordedStore(ctx context.Context, st index.State) error {
	if st.StoreURL == "" {
		return nil
	}
	db.storeURL = st.StoreURL
	s, err := store.OpenOptions(ctx, st.StoreURL, "", &store.Options{Key: db.opts.Key})
	if err != nil {
		db.storeErr = fmt.Errorf("registry: opening the store %s this registry keeps its log in: %w", st.StoreURL, err)
		return nil
	}
	db.ownStore, db.log = s, txlog.New(s)
	return nil
}

// restoreCheckpoint makes the missing index file from the newest
// checkpoint of the log, so that a new machine reads one snapshot and the
// entries after it instead of the whole log. Without a usable checkpoint
// it does nothing: the first sync replays the log from its start. The
// error it returns (the store cannot be reached) only makes the index
// stale.
func (db *DB) restoreCheckpoint(ctx context.Context) error {
	cp, err := db.log.LatestCheckpoint(ctx)
	if err != nil || cp == nil || cp.Schema > index.SchemaVersion() {
		return unprefix(err)
	}
	r, err := db.log.ReadCheckpoint(ctx, cp)
	if err != nil {
		if errors.Is(err, txlog.ErrCorrupt) {
			return nil
		}
		return unprefix(err)
	}
	return installFile(db.path, r)
}

// installFile writes r to path, which must not exist: to a temporary
// file beside it first, then linked into place, so that of two processes
// doing it at once one wins and the other's copy is dropped. Leftover
// -wal and -shm files of a deleted index are removed first: SQLite would
// apply them to the new file.
func installFile(path string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	tmp, err := tempfile.Create(filepath.Dir(path), ".db")
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	// Open, it is ours (see engine/tempfile): close it once linked.
	defer tmp.Close()
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, r)
	if err == nil {
		err = tmp.Sync()
	}
	if err != nil {
		return fmt.Errorf("registry: writing %s from a checkpoint: %w", path, err)
	}
	if fileExists(path) {
		return nil
	}
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("registry: %w", err)
	}
	return nil
}

// writeCheckpoint snapshots the index and keeps the snapshot in the store
// as a checkpoint of the log.
func (db *DB) writeCheckpoint(ctx context.Context) error {
	dir, err := tempfile.MkdirTemp(filepath.Dir(db.path))
	if err != nil {
		return err
	}
	defer dir.Close()
	tmp := filepath.Join(dir.Path, "snapshot.db")
	st, err := db.idx.Snapshot(ctx, tmp)
	if err != nil {
		return err
	}
	if st.Entry == 0 || st.StoreURL != db.storeURL {
		return nil
	}
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	cp := txlog.Checkpoint{N: st.Entry, Hash: st.Hash, Schema: index.SchemaVersion(), Writer: db.writer()}
	return db.log.WriteCheckpoint(ctx, cp, func(w io.Writer) error {
		_, err := io.Copy(w, f)
		return err
	})
}
