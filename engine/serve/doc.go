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
// decides when to apply and shows what happened.
//
// # Endpoints
//
//	GET /healthz              200 "ok" while the process serves (liveness)
//	GET /readyz               200 when the pipeline loads without errors and
//	                          the store and the registry answer; else 503
//	                          naming each failing check, with the pipeline's
//	                          diagnostics rendered as text (JSON with
//	                          ?format=json or Accept: application/json)
//	GET /metrics              Prometheus text format (see Metrics)
//	GET /api/status           the server: pipeline, validity, diagnostics,
//	                          watched folders, next scheduled time, the apply
//	                          in progress and the last check's outcome
//	GET /api/runs             runs, newest first (?limit=50, ?pipeline=,
//	                          ?status=)
//	GET /api/runs/{id}        one run with its step executions
//	GET /api/models           every model with its versions, metrics and
//	                          aliases
//	GET /api/lineage?ref=R    lineage of R (NAME@ALIAS, NAME@VERSION, a
//	                          file path or a digest); &direction=downstream
//	                          for what was built from it
//	GET /artifacts/{digest}   a model version's evaluation report (JSON) or
//	                          the plot its report names (PNG)
//	GET /                     the status page
//
// There is no endpoint that starts an apply: an HTTP trigger needs an
// authentication story (a token, mTLS or a mesh policy) that a first
// version should not guess at. Applies start from the watcher, the
// schedule, or `pipe apply` (the CronJob, a person).
//
// /artifacts is not a file server: it serves only digests the registry
// ties to a model version (the version's report) and the plot a report
// names under "plot": {"digest": ..., "media_type": "image/png"}, as JSON
// or PNG, read from the store with the digest checked before any byte is
// sent.
//
// # Triggers
//
// One goroutine owns applies; triggers go into a queue of one that
// coalesces: a trigger that arrives while an apply runs is remembered, and
// any number of them make one check after it. A schedule trigger wins over
// a watch trigger it coalesces with. So serve never runs two applies at
// once; the state folder's lock keeps it from running one beside a CronJob
// (or a person's) `pipe apply`: when the lock is held, serve logs it and
// tries again after LockRetry, re-checking then, rather than waiting behind
// the other apply and repeating its work.
//
// Each trigger loads the pipeline afresh from disk, so a run always uses
// one consistent load: the files are read once, and the whole check (plan,
// apply) uses the bytes read. A pipeline folder that is a Kubernetes
// ConfigMap mount (files that are symlinks into ..data, which kubelet swaps
// atomically to a new timestamped folder) is read between two reads of the
// ..data link, and read again when the link moved meanwhile, so a load
// never mixes two versions of the ConfigMap. A pipeline that does not load
// is never run, neither in its new form nor in its last good one: /readyz
// turns 503 with the diagnostics and pipe_pipeline_valid goes to 0 until
// a fixed version arrives.
//
// Watch: serve watches (fsnotify, not recursively) the pipeline folder
// itself, not its files, so that a swap of ..data is seen; and the data
// folders: the folders of the files each file-reading step reads
// (steps.FileReader) and the fixed part (the folder before the first
// wildcard) of every path-like string attribute of those steps, so that a
// new file matching a glob is seen. A folder that does not exist yet is
// watched through its nearest existing parent. The set is recomputed after
// every load. An event starts the debounce timer; the check runs once the
// folders have been quiet for Debounce (default 5 s), or at the latest
// 12 × Debounce after the first event, so that a folder written to without
// pause is still checked. A watch check plans first and applies only when
// a step would run and the inputs' fingerprint (the pipeline's config
// digest, which covers its files and variables, and the digests of the
// input files the plan hashed) differs from the last one applied.
// Rewriting or touching a file without changing its content plans as all
// cached, so it makes no run; a failed run is not retried by touching its
// inputs (change them, wait for the schedule, or apply by hand). When
// watching, serve also checks once at start: a pipeline or data that
// changed while it was down (a ConfigMap rolled out as a new pod) is
// applied. Writers of data should write a file elsewhere and rename it
// into the folder: a file copied slowly, with pauses longer than Debounce,
// may be read half-written (and the next event applies again).
//
// inotify sees only writes made through this machine's kernel: on a
// network file system written from elsewhere (NFS, EFS, a FUSE-mounted
// bucket) set Poll, and serve makes the same watch check at that
// interval; one that finds nothing changed costs a plan over the stat
// cache and runs nothing.
//
// Schedule: a five-field cron expression (minute hour day-of-month month
// day-of-week, see ParseSchedule), in UTC unless another time zone is
// given. A schedule trigger always applies, as the CronJob's `pipe apply`
// does: a run is recorded even when every step is cached.
//
// Runs record their trigger: "watch" or "schedule", whatever PIPE_TRIGGER
// says (that variable is for `pipe apply`).
//
// # Shutdown
//
// When the context passed to Run is cancelled (SIGTERM), serve stops
// taking triggers and cancels the apply in progress after Grace (default
// 0: at once). The runner records the run as cancelled, and what finished
// is in the cache for the next apply. Then the HTTP server shuts down
// gracefully and Run returns nil.
//
// # Metrics
//
// Run and step metrics are read from the registry, so runs made by the
// CronJob or by a person count as well as serve's own; they are brought up
// to date on every scrape and after every apply. At start, every run
// already recorded is counted once, so the counters equal the registry's
// totals and do not fall back to zero across restarts.
//
//	pipe_runs_total{pipeline,status,trigger}          counter, ended runs
//	pipe_run_duration_seconds{pipeline,status}        histogram
//	pipe_step_duration_seconds{pipeline,kind,result}  histogram; result is
//	                                                  ran, cached or failed
//	pipe_cache_hits_total{pipeline,kind}              executions from the cache
//	pipe_cache_misses_total{pipeline,kind}            executions that ran
//	                                                  (successfully or not)
//	pipe_last_success_timestamp_seconds{pipeline}     end of the last
//	                                                  successful run
//	pipe_run_in_progress{pipeline}                    1 while serve applies or
//	                                                  another apply holds the
//	                                                  state lock
//	pipe_pipeline_valid{pipeline}                     1 when the last load had
//	                                                  no errors
//	pipe_model_metric{model,alias,version,metric}     each aliased version's
//	                                                  metrics, read on scrape
//
// plus the Go runtime and process collectors, on a private
// prometheus.Registry.
//
// # Logs
//
// Logs are structured (log/slog, given by the caller). They name steps,
// kinds, run IDs, durations and folders; serve never logs the
// environment or a credential. The values of sensitive variables (as
// given in PIPE_VAR_* or -var, even when they do not parse, and as
// resolved, -var-file and defaults included) are replaced by
// "(sensitive value)" in everything serve writes: every log record of
// serve and of its applies (message and attributes), every JSON and text
// body, and the page. That covers a step error that quotes a value, which
// the registry keeps as the step wrote it. Values are matched as text in
// the forms they are written in (plain, Go-quoted, JSON- and
// HTML-escaped); values shorter than three characters are left alone.
// Snippets of diagnostics come from pipeline files only, never from
// variable files.
package serve
