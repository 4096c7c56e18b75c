package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	// Untrusted are the first MaxUntrusted entries this DB's syncs did
	// not index because the team key does not vouch for them (not
	// signed, signed with another key, changed since); UntrustedCount
	// counts them all. Each is met once: the index moves past it.
	Untrusted      []*txlog.UntrustedError
	UntrustedCount int
}

// MaxUntrusted bounds SyncStatus.Untrusted.
const MaxUntrusted = 3

// Warning is a warning for a person: a short summary and what to know.
type Warning struct{ Summary, Detail string }

// UntrustedWarnings are the warnings about the entries the syncs did not
// index for want of the team key's signature: one each for the first
// MaxUntrusted, then one for the rest.
func (s SyncStatus) UntrustedWarnings() []Warning {
	var out []Warning
	for _, u := range s.Untrusted {
		out = append(out, Warning{"Untrusted registry record", strings.TrimPrefix(u.Error(), "txlog: ") + "."})
	}
	if more := s.UntrustedCount - len(s.Untrusted); more > 0 {
		out = append(out, Warning{fmt.Sprintf("%d more untrusted registry records", more),
			fmt.Sprintf("%d more entries of the log in %s are not indexed either, each for one of the reasons above.", more, s.Store)})
	}
	return out
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
	db.status = SyncStatus{Store: db.storeURL, Entry: st.Entry, Synced: st.Synced, Applied: applied, Err: err,
		Untrusted: db.status.Untrusted, UntrustedCount: db.status.UntrustedCount}
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
	prevUntrusted := false
	_, err = db.log.Scan(ctx, st.Entry+1, func(e *txlog.Entry, h string) error {
		// An entry the key signed vouches for the hash of the one before
		// it: when that one is untrusted and its hash differs, it was
		// changed after it was written, and the chain goes on.
		if e.Prev != prev && !(prevUntrusted && e.Untrusted == nil) {
			return &ChainError{Store: db.storeURL, N: e.N}
		}
		prev, prevUntrusted = h, e.Untrusted != nil
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
			refused, err := db.applyTrusted(ctx, tx, p.entry)
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
	if err == nil {
		db.noteUntrusted(entries)
	}
	return n, err
}

// applyTrusted applies e's facts, or, when the team key does not vouch
// for e, refuses every one of them with the reason: the index moves past
// the entry without trusting it. Every index with the key refuses the
// same entries, and the entries after it were decided by writers whose
// indexes refused it too, so they apply alike; a later fact that builds
// on a refused one (the end of a forged run, a version after a forged
// one) is refused by the index's own checks, as any contradiction is.
func (db *DB) applyTrusted(ctx context.Context, tx *index.Tx, e *txlog.Entry) ([]index.Refusal, error) {
	if e.Untrusted == nil {
		return tx.Apply(ctx, e.N, e.Facts)
	}
	refused := make([]index.Refusal, len(e.Facts))
	for i, f := range e.Facts {
		refused[i] = index.Refusal{Fact: i + 1, Type: f.Name(), Reason: e.Untrusted.Error()}
	}
	return refused, nil
}

// noteUntrusted keeps, for Status, the entries among those just applied
// that were refused for want of a signature.
func (db *DB) noteUntrusted(entries []pendingEntry) {
	db.statusMu.Lock()
	defer db.statusMu.Unlock()
	for _, p := range entries {
		var u *txlog.UntrustedError
		if !errors.As(p.entry.Untrusted, &u) {
			continue
		}
		if db.status.UntrustedCount++; len(db.status.Untrusted) < MaxUntrusted {
			db.status.Untrusted = append(db.status.Untrusted, u)
		}
	}
}
