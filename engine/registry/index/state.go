package index

import (
	"context"
	"database/sql"
	"time"
)

// State is where an index stands in its log.
type State struct {
	// StoreURL is the store whose log the index holds; "" for a registry
	// of its own, with no store.
	StoreURL string
	// LogID is the hash of the log's entry 1: which log the index holds,
	// wherever its store moves. "" until entry 1 is applied.
	LogID string
	// Entry is the last entry applied (0: none), Hash its SHA-256.
	Entry int64
	Hash  string
	// Synced is when a sync last reached the end of the log.
	Synced time.Time
	// ImportID is set once an import of a registry from before the log
	// has begun.
	ImportID string
}

// ReadState reads the index's state.
func ReadState(ctx context.Context, q Querier) (State, error) {
	var (
		s                               State
		store, logID, hash, at, importI sql.NullString
	)
	err := q.QueryRowContext(ctx, `SELECT store_url, log_id, entry, hash, synced_at, import_id FROM log_state WHERE id = 1`).
		Scan(&store, &logID, &s.Entry, &hash, &at, &importI)
	s.StoreURL, s.LogID, s.Hash, s.Synced, s.ImportID = store.String, logID.String, hash.String, ParseTime(at), importI.String
	return s, err
}

// State reads the index's state.
func (db *DB) State(ctx context.Context) (State, error) {
	var s State
	err := db.Read(ctx, func(q Querier) error {
		var err error
		s, err = ReadState(ctx, q)
		return err
	})
	return s, err
}

// HasRecords reports whether the index holds any run, model version or
// alias move.
func HasRecords(ctx context.Context, q Querier) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM (SELECT 1 FROM runs LIMIT 1))
		+ (SELECT count(*) FROM (SELECT 1 FROM model_versions LIMIT 1))
		+ (SELECT count(*) FROM (SELECT 1 FROM alias_history LIMIT 1))`).Scan(&n)
	return n > 0, err
}

// SetEntry records that entry n, with the given hash, is applied; entry
// 1's hash is the log's ID.
func (t *Tx) SetEntry(ctx context.Context, n int64, hash string) error {
	_, err := t.exec(ctx, `UPDATE log_state SET entry = ?1, hash = ?2,
		log_id = CASE WHEN ?1 = 1 THEN ?2 ELSE log_id END WHERE id = 1`, n, nullString(hash))
	return err
}

// Bind records the store whose log the index holds.
func (t *Tx) Bind(ctx context.Context, storeURL string) error {
	_, err := t.exec(ctx, `UPDATE log_state SET store_url = ? WHERE id = 1`, nullString(storeURL))
	return err
}

// SetImportID records the ID of an import of a registry from before the
// log.
func (t *Tx) SetImportID(ctx context.Context, id string) error {
	_, err := t.exec(ctx, `UPDATE log_state SET import_id = ? WHERE id = 1`, nullString(id))
	return err
}

// MarkSynced records that a sync reached the end of the log at time at.
func (db *DB) MarkSynced(ctx context.Context, at time.Time) error {
	if db.readOnly {
		return nil
	}
	_, err := db.sql.ExecContext(ctx, `UPDATE log_state SET synced_at = ? WHERE id = 1`, FormatTime(at))
	return db.wrap(err)
}
