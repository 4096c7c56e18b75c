// Package registry is pipe's lineage registry: a SQLite file (through
// modernc.org/sqlite, no cgo) that records every run, every step execution
// in it (cached or not), every artifact an execution used or produced, and
// every published model version with its metrics and aliases.
//
// It answers two questions: "what produced this model?" ([DB.Upstream]) and
// "what was built from this file?" ([DB.Downstream]), and it backs the
// browsing commands (pipe runs, pipe models). A lineage answer is a
// [Graph] of nodes and edges, whose JSON encoding pipe lineage -json
// prints; drawing it as a tree or in Graphviz DOT is the CLI's job
// (cmd/pipe/internal/views).
//
// The package owns the schema and every query; it does not decide when to
// record anything. The engine opens the registry and, for each apply:
//
//   - while holding the pipeline's state lock, calls [DB.MarkInterrupted]
//     (runs a dead process left "running" become "interrupted"), then
//     [DB.BeginRun];
//   - for each step that runs, [DB.StartExecution] with its configuration,
//     the artifacts and input files it uses and the upstream executions
//     whose plain values it uses ([Dependency]), then
//     [DB.FinishExecution] with its status, outputs and produced
//     artifacts; for a step taken from the cache, skipped or cancelled,
//     one [DB.RecordExecution];
//   - [DB.EndRun] at the end.
//
// The publish step calls [DB.CreateModelVersion] and [DB.PromoteIf] or
// [DB.SetAlias]; the CLI (cmd/pipe) calls the read methods and
// [DB.Rollback]. Only the labels of artifact kinds know anything about
// machine learning.
//
// # Storage
//
// The database runs in WAL mode with a busy timeout, foreign keys on and
// synchronous=NORMAL. Every write is one short BEGIN IMMEDIATE transaction,
// so two processes writing at once wait for each other instead of failing
// or deadlocking; a test runs two writer processes on one new file. Numbered
// migrations (migrations/NNNN_name.sql, embedded) are applied on open and
// recorded in schema_migrations; a file written by a newer pipe is refused
// rather than misread. [Options.ReadOnly] opens a registry for browsing.
// schema.md documents every table for people who open the file with
// sqlite3, and a test keeps it true.
//
// Lineage queries are recursive CTEs over events, execution_inputs and
// model_versions; on a registry of 10,000 runs they take a few
// milliseconds from a model version (go test -run '^$' -bench Lineage;
// see bench_test.go).
//
// Times are stored as UTC text with millisecond precision; values read back
// are truncated to the millisecond.
package registry
