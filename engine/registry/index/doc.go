// Package index is the registry's local index: one SQLite file per
// machine (modernc.org/sqlite, no cgo) that holds what the log
// (engine/registry/txlog) says, as tables people can query with sqlite3.
//
// The index applies the log's entries in order (Tx.Apply), each fact to
// its tables: a run begun, an execution with the artifacts it used and
// produced, a model version, an alias move. Rows get their IDs in that
// order, so every machine's index of one log has the same rows with the
// same IDs, and deleting the file loses nothing. A fact that contradicts
// what came before it (a version number already taken, an alias that
// moved since its writer looked) is refused the same way everywhere and
// noted in refused_facts. log_state says which log the file holds and how
// far.
//
// The package also holds the read side the other packages share: runs,
// executions and artifacts as Go values. engine/registry/models and
// engine/registry/lineage query the same tables; engine/registry decides
// when to sync and what to record.
//
// The file runs in WAL mode with a busy timeout, foreign keys on and
// synchronous=NORMAL; every write is one BEGIN IMMEDIATE transaction, so
// processes sharing the file wait for each other. Numbered migrations
// (migrations/NNNN_name.sql, embedded) are applied on open; a file written
// by a newer pipe is refused rather than misread. schema.md documents
// every table, and a test keeps it true. Times are UTC text with
// millisecond precision.
package index
