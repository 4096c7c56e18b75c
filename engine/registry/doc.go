// Package registry is pipe's lineage registry: a SQLite file (through
// modernc.org/sqlite, no cgo) that records every run, every step execution
// in it (cached or not), every artifact an execution used or produced, and
// every published model version with its metrics and aliases.
//
// It answers two questions: "what produced this model?" ([DB.Upstream]) and
// "what was built from this file?" ([DB.Downstream]), and it backs the
// browsing commands (pipe runs, pipe models). Lineage graphs render as an
// indented tree, JSON or Graphviz DOT ([WriteTree], [WriteJSON], [WriteDOT]).
//
// The package owns the schema and every query. It does not decide when to
// record anything: the engine (engine/...) opens the registry, calls
// [DB.MarkInterrupted] and [DB.BeginRun] when apply starts,
// [DB.StartExecution] / [DB.FinishExecution] (or [DB.RecordExecution] for a
// cached or skipped step) for each step and [DB.EndRun] at the end. The
// publish step calls [DB.CreateModelVersion] and [DB.PromoteIf] or
// [DB.SetAlias]; the CLI (cmd/pipe) calls the read methods and renderers.
// The registry knows nothing about machine learning beyond the labels it
// gives artifact kinds.
//
// # Storage
//
// The database runs in WAL mode with a busy timeout, foreign keys on and
// synchronous=NORMAL. Every write is one short BEGIN IMMEDIATE transaction,
// so two processes writing at once wait for each other instead of failing
// or deadlocking. Numbered migrations (migrations/NNNN_name.sql, embedded)
// are applied on open and recorded in schema_migrations; a file written by
// a newer pipe is refused rather than misread. schema.md documents every
// table for people who open the file with sqlite3.
//
// Times are stored as UTC text with millisecond precision; values read back
// are truncated to the millisecond.
package registry
