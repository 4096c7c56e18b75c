package registry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pipe-ml/pipe/engine/registry/index"
	"github.com/pipe-ml/pipe/engine/registry/txlog"
	"github.com/pipe-ml/pipe/engine/store"
)

// SyncStatus says how up to date the local index is.
type SyncStatus struct {
	// Store is where the log is; "" for a registry of its own.
	Store string
	// Entry is the last log entry the index holds.
	Entry int64
	// Synced is when a sync last reached the end of the log; zero when
	// none has.
	Synced time.Time
	// Applied is how many entries the last sync applied.
	Applied int
	// Err says why the last sync did not reach the end of the log (the
	// store could not be reached, an entry is damaged or of a newer
	// format): the index is stale. Nil when it is up to date.
	Err error
}

// Stale reports whether the index may lack what the log holds.
func (s SyncStatus) Stale() bool { return s.Err != nil }

// String says, for a person, what a stale index means for the answer.
func (s SyncStatus) String() string {
	if s.Err == nil {
		return fmt.Sprintf("registry: up to date with the log in %s (entry %d)", s.Store, s.Entry)
	}
	since := "never synced"
	if !s.Synced.IsZero() {
		since = "last synced " + s.Synced.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("%v\nThe answer comes from the local index as of entry %d (%s): it may be stale.", s.Err, s.Entry, since)
}

// Status returns how up to date the index was after the last sync.
func (db *DB) Status() SyncStatus {
	db.statusMu.Lock()
	defer db.statusMu.Unlock()
	return db.status
}

func (db *DB) setStatus(applied int, err error) SyncStatus {
	st, _ := db.idx.State(context.Background())
	db.statusMu.Lock()
	defer db.statusMu.Unlock()
	db.status = SyncStatus{Store: db.storeURL, Entry: st.Entry, Synced: st.Synced, Applied: applied, Err: err}
	return db.status
}

// Sync brings the local index up to date with the log: it reads the
// entries after the last one it applied, and applies them in order. An
// index that is up to date costs one read of the store. Entries are read
// ahead concurrently; a damaged entry, one of a newer format, or an
// unreachable store stops the sync where it is, and the error (also in
// Status) says so: the index then answers as it stands, stale.
func (db *DB) Sync(ctx context.Context) (SyncStatus, error) {
	db.syncMu.Lock()
	defer db.syncMu.Unlock()
	applied, err := db.syncLocked(ctx)
	err = unprefix(err)
	return db.setStatus(applied, err), err
}

// syncLocked is Sync with syncMu held; it returns how many entries it
// applied.
func (db *DB) syncLocked(ctx context.Context) (int, error) {
	if db.log == nil {
		return 0, db.storeErr
	}
	if db.idx.ReadOnly() {
		return 0, fmt.Errorf("registry: %s cannot be written, so it cannot be brought up to date from the store", db.path)
	}
	st, err := db.idx.State(ctx)
	if err != nil {
		return 0, err
	}
	if err := db.verifyTip(ctx, st); err != nil {
		return 0, err
	}
	applied := 0
	prev := st.Hash
	var pending []pendingEntry
	flush := func() error {
		n, err := db.applyEntries(ctx, pending)
		applied += n
		pending = pending[:0]
		return err
	}
	_, err = db.log.Scan(ctx, st.Entry+1, func(e *txlog.Entry, h string) error {
		if e.Prev != prev {
			return &ChainError{Store: db.storeURL, N: e.N}
		}
		prev = h
		pending = append(pending, pendingEntry{e, h})
		if len(pending) >= 256 {
			return flush()
		}
		return nil
	})
	if ferr := flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return applied, err
	}
	return applied, db.idx.MarkSynced(ctx, db.now())
}

// ChainError is a log whose entry N does not follow the entry the index
// applied before it: the store's log is not the one the index was made
// from (the store was wiped, replaced or restored from an older copy).
type ChainError struct {
	Store string
	N     int64
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("registry: entry %d of the log in %s does not follow the entry this index applied before it: the store's log was replaced or restored under it. Run `pipe registry rebuild` to index the log as it is now", e.N, e.Store)
}

// verifyTip checks, once per DB, that the log still holds the last entry
// the index applied, with the same hash: a store wiped and started again
// would otherwise look like a log with nothing new, and a writer would
// leave a gap in it.
func (db *DB) verifyTip(ctx context.Context, st index.State) error {
	if db.verified || st.Entry == 0 || st.Hash == "" {
		return nil
	}
	_, h, err := db.log.Read(ctx, st.Entry)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("registry: this index holds %d entries of the log in %s, which no longer has entry %d: the store was wiped or replaced. Run `pipe registry rebuild` to index the log as it is now", st.Entry, db.storeURL, st.Entry)
	case err != nil:
		return err
	case h != st.Hash:
		return &ChainError{Store: db.storeURL, N: st.Entry}
	}
	db.verified = true
	return nil
}

type pendingEntry struct {
	entry *txlog.Entry
	hash  string
}

// applyEntries applies entries, in order, in one transaction, skipping
// those another process applied meanwhile; it returns how many it
// applied.
func (db *DB) applyEntries(ctx context.Context, entries []pendingEntry) (int, error) {
	if len(entries) == 0 {
		return 0, nil
	}
	n := 0
	err := db.idx.Write(ctx, func(tx *index.Tx) error {
		n = 0
		st, err := index.ReadState(ctx, tx)
		if err != nil {
			return err
		}
		for _, p := range entries {
			switch {
			case p.entry.N <= st.Entry:
				continue
			case p.entry.N != st.Entry+1:
				return fmt.Errorf("registry: cannot apply entry %d after entry %d", p.entry.N, st.Entry)
			}
			refused, err := tx.Apply(ctx, p.entry.N, p.entry.Facts)
			if err != nil {
				return err
			}
			if err := tx.RecordRefusals(ctx, p.entry.N, refused); err != nil {
				return err
			}
			if err := tx.SetEntry(ctx, p.entry.N, p.hash); err != nil {
				return err
			}
			st.Entry = p.entry.N
			n++
		}
		return nil
	})
	return n, err
}
