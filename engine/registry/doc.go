// Package registry is pipe's lineage registry: every run, every step
// execution in it (cached or not), every artifact an execution used or
// produced, every published model version with its metrics and aliases.
//
// The history is one log in the store, shared by every machine that uses
// the store; each machine keeps a local SQLite index of it. The package
// ties four rooms together, each its own package:
//
//   - txlog: the log, registry/log/N.json in the store, numbered entries
//     written once with put-if-absent, and its checkpoints (format.md);
//   - index: the local SQLite file, built from the log's entries in order
//     (schema.md), and the records it holds (runs, executions, artifacts);
//   - models: model versions and aliases, and the decisions that change
//     them (a version's number, promote_if, rollback);
//   - lineage: the upstream and downstream graph queries.
//
// A DB is the index kept in step with the log. Open brings it up to date
// (Sync), from the newest checkpoint when the file is new; every change
// (BeginRun, StartExecution, CreateModelVersion, SetAlias, ...) syncs,
// decides its facts on the index as it now stands, appends them as the
// next entry, and applies them: when another writer, anywhere, took that
// entry first, it syncs and decides again. So version numbers and alias
// moves are one history for all machines, in the log's order, never a
// clock's. Concurrent changes in one process share an entry (a group
// commit). A store that cannot be reached leaves reads answering from the
// index, stale (Status says so), and changes failing. Rebuild makes the
// index again from the log; a file from before the log is imported once.
// Without a store, a registry is a file of its own (tools, tests).
//
// The package does not decide when to record anything: engine/runner and
// engine/apply record an apply's run and executions, steps/publish
// versions and aliases (through engine/apply's Models), and cmd/pipe
// renders what the queries return.
package registry
