// Package txlog is the registry's log: the team's shared history of runs,
// executions, artifacts, model versions and alias moves, kept in the
// store (engine/store) as numbered, immutable entries, in the manner of
// Delta Lake's transaction log on object storage.
//
// Entry N lives at registry/log/<N in 20 digits>.json. It is written once,
// with a put-if-absent write, so that two writers, on any machines, cannot
// both take position N: the loser reads what the winner wrote and tries
// again at N+1. That is the only order there is: no clock is consulted.
// Each entry is a small batch of facts (run_begun, execution_started,
// version_created, alias_moved, ...) in an envelope that carries the
// format version, the SHA-256 of its data and, with a team key, its
// signature (signature.go: an entry the key did not sign is read as
// Untrusted, and not applied); an
// entry names the hash of the one before it. A reader refuses an entry
// that fails a check (CorruptError) or has a newer format
// (NewerFormatError), and reads nothing past it.
//
// Checkpoints (registry/checkpoints/) are snapshots of the local index
// after entry N, written every so many entries, so that a new machine
// reads one snapshot and the entries after it instead of the whole log;
// registry/_last_checkpoint.json names the newest, as a hint only.
//
// format.md beside this file documents the format. The package reads and
// writes entries and checkpoints; what the facts mean, and the SQLite
// index built from them, belong to engine/registry/index; when to write
// what, to engine/registry.
package txlog
