// Package redaction knows which values are sensitive in what pipe serve
// loads: the values of its sensitive variables as given in PIPE_VAR_* or
// -var, even when they do not parse, and as resolved, -var-file and
// defaults included (Of). A load's redactor (engine/redact) hides them
// in the text serve itself records about that load: its diagnostics,
// which may quote a malformed value, and the errors of its checks and
// readiness checks, which may name a store whose URL came from one.
//
// Serve never edits the text of an answer, a page or a log line to hide a
// value: numbers such as an F1 of 0.8882 go out exactly as recorded,
// whatever a sensitive min_f1 = 0.8 says. Values are redacted where they
// are recorded, as typed values: engine/apply records a step's
// configuration with sensitive values replaced and its error redacted
// before the runner writes them to the registry, and engine/serve/api
// encodes what the registry holds. Runs recorded by an older pipe, which
// redacted nothing, are shown as they were recorded.
//
// Current holds the redactor of the last load that decoded a
// configuration, for a load that decoded none (engine/serve/snapshot).
// Snippets of diagnostics come from pipeline files only, never from
// variable files (engine/serve/snapshot's Sources).
package redaction
