// Package api is pipe serve's HTTP interface for machines: the probes, the
// JSON API over the registry and the server's state, and the artifacts the
// page links to.
//
//	GET /healthz              200 "ok" while the process serves (liveness)
//	GET /readyz               200 when the pipeline loads without errors and
//	                          the store and the registry answer; else 503
//	                          naming each failing check, with the pipeline's
//	                          diagnostics rendered as text (JSON with
//	                          ?format=json or Accept: application/json)
//	GET /api/status           the server: pipeline, validity, diagnostics,
//	                          watched folders, next scheduled time, the apply
//	                          in progress and the last check's outcome
//	GET /api/runs             a page of runs, newest first, each with its
//	                          steps counted by status (?pipeline=, ?status=,
//	                          ?trigger=, ?limit=50 up to 500; ?before=ID or
//	                          ?after=ID for the pages the answer's "older"
//	                          and "newer" name)
//	GET /api/runs/{id}        one run with its step executions
//	GET /api/models           every model with its versions, metrics and
//	                          aliases
//	GET /api/models/{name}    one model, with its aliases' history
//	GET /api/lineage?ref=R    lineage of R (NAME@ALIAS, NAME@VERSION, a
//	                          file path or a digest); &direction=downstream
//	                          for what was built from it
//	GET /artifacts/{digest}   a model version's report, or the plot its
//	                          report's summary links (PNG)
//
// There is no endpoint that starts an apply: an HTTP trigger needs an
// authentication story (a token, mTLS or a mesh policy) that a first
// version should not guess at. Applies start from the triggers
// (engine/serve/trigger) or `pipe apply` (the CronJob, a person).
//
// /artifacts is not a file server: it serves only digests the registry
// ties to a model version (the version's report, with its media type, a
// JSON-based one as application/json) and the PNG image the report's
// summary links, read from the store with the digest checked (and a PNG's
// signature) before any byte is sent.
//
// What a report holds serve learns from the kind that made it: Summary
// asks the catalog (steps.Catalog.Summarize) with the media type the
// registry recorded and the bytes, and remembers the answer by digest. A
// kind that describes nothing gives no summary, and the page shows no
// plot; serve knows no kind's format.
//
// Answers encode values and never edit text. Values of sensitive
// variables are redacted where they are recorded (engine/apply, and
// engine/serve/redaction for what serve records of a load); Public keeps
// the server's absolute paths, host and user out of every record shown.
// A question the registry cannot answer is a 4xx that says what to ask
// instead (ErrorStatus), quoting at most 64 bytes of the request (Echo);
// a failure of the server is a 500 whose details go to the log only. A
// method other than GET or HEAD under /api/ is a JSON 405 (Methods),
// never ServeMux's text.
// WriteJSON is the one place JSON is written.
//
// The registry and the store come from engine/serve/resources; the
// server's state (Status) is gathered by engine/serve from the last load
// (engine/serve/snapshot), the triggers and the applies
// (engine/serve/applies). The HTML pages are engine/serve/page's and
// /metrics engine/serve/metrics'; both are mounted beside the API by
// engine/serve. The pages read through the exported methods here (Runs,
// Run, Models, Model, Lineage, Status), so that they show what the API
// shows.
package api
