// Package serve is `pipe serve`: a long-running process that applies one
// pipeline when its files or its data change (the data-driven trigger) or
// on an in-process schedule, and serves what a cluster and its people need
// to see on one HTTP port: health, readiness, Prometheus metrics, a JSON
// API over the registry and a small status page.
//
// cmd/pipe owns the flags, the listener and the exit code; engine/runner
// does each apply (lock, plan, record, apply); engine/registry answers the
// questions about runs and models; engine/workspace loads the pipeline and
// resolves where its store, state folder and registry are. This package
// holds the Server, which wires its rooms together:
//
//	serve/trigger     when to check: file watching (fsnotify, debounced),
//	                  the schedule (cron), polling; the data folders to
//	                  watch, which the kinds name (steps.FileReader)
//	serve/applies     the queue of requests and what a check does: load,
//	                  plan, apply one at a time, the apply in progress
//	serve/snapshot    one consistent load of the pipeline folder (ConfigMap
//	                  mounts included)
//	serve/api         the probes, the JSON API, /artifacts
//	serve/page        the status page at /
//	serve/metrics     /metrics for Prometheus
//	serve/resources   the store and registry kept open for the readers
//	serve/access      the optional access token (a file, such as a
//	                  mounted Secret) the API and the pages ask for
//	serve/redaction   which values of a load are sensitive, for what
//	                  serve records of it (never by editing an answer)
//
// Every answer says X-Content-Type-Options: nosniff and sends no
// Referer. The Server reloads the pipeline for every check and spreads
// each load: the redactor, readiness, the validity metric, the store and registry
// handles, the watched folders. It gathers the status (api.Status) from
// the last load, the triggers and the applies. When watching, it also
// checks once at start: a pipeline or data that changed while it was down
// (a ConfigMap rolled out as a new pod) is applied. Runs record their
// trigger: "watch" or "schedule", whatever PIPE_TRIGGER says (that
// variable is for `pipe apply`).
//
// # Shutdown
//
// When the context passed to Run is cancelled (SIGTERM), serve stops
// taking triggers and cancels the apply in progress after Grace (default
// 0: at once). The runner records the run as cancelled, and what finished
// is in the cache for the next apply. Then the HTTP server shuts down
// gracefully and Run returns nil.
//
// # Logs
//
// Logs are structured (log/slog, given by the caller). They name steps,
// kinds, run IDs, durations and folders; serve never logs the
// environment or a credential, and what they quote of a step or a load
// was redacted where it was recorded (engine/serve/redaction).
package serve
