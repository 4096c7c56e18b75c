// Package openlineage reports pipe's runs to an OpenLineage consumer
// (Marquez, a data catalog, a lineage API) as OpenLineage RunEvents
// (https://openlineage.io/spec), or appends them to a file as NDJSON.
//
// A [Client] sends events: to an HTTP endpoint with a POST of the JSON
// event (a URL without a path posts to /api/v1/lineage, as the OpenLineage
// clients do), each attempt bounded by a timeout, transient failures
// (connection errors, 408, 429, 5xx) retried a bounded number of times
// with doubling pauses; or to a file, one event per line. A [Tracker]
// turns one apply's events (engine/apply.Event) into RunEvents and sends
// them in order from a goroutine of its own, so a slow or dead endpoint
// never slows the apply down or fails it: a failure is a logged warning,
// and once an endpoint has failed an event on every attempt, the events
// after it are dropped and counted instead of each waiting out its
// retries.
//
// # Events
//
// Each step execution of an apply is an OpenLineage run: a START when the
// step starts, and a COMPLETE (it ran, or its outputs came from the
// cache), FAIL (with an errorMessage facet) or ABORT (cancelled, or
// skipped after a failure upstream; a skipped step gets its START then) at
// its end. The apply itself is the parent run (the standard parent
// facet of every step's events points at it), with a START when the run
// is recorded and a COMPLETE, FAIL or ABORT at the end.
//
//   - job.namespace is PIPE_OPENLINEAGE_NAMESPACE or "pipe", the
//     scheduler's namespace in OpenLineage's naming; job.name is
//     PIPELINE.STEP for a step (privacy-intent.train.model) and PIPELINE
//     for the apply, as Airflow names DAG tasks and DAGs.
//   - run.runId is a random UUID (version 4) for the apply, and for a step
//     the name-based UUID (version 5) of the step's address in the
//     apply's UUID: START and COMPLETE share it, and no two applies do.
//   - inputs and outputs are the artifacts and input files the step used
//     and produced, named as OpenLineage names storage: an input file is
//     namespace "file" and its absolute path; an artifact in the store is
//     its object, gs://BUCKET and the key inside it (s3 likewise), or
//     "file" and the object's absolute path for a local store. Every
//     dataset has the standard version facet (its digest) and a
//     pipe_artifact facet (digest, media type, size, the input or output
//     name, and a file's path relative to the pipeline).
//
// Custom facets, each with _producer and a _schemaURL pointing at its JSON
// schema in this package's schemas folder: pipe_parameters (the step's
// evaluated configuration, secrets redacted, as the registry records it),
// pipe_metrics (the step's outputs that are numbers: f1, rows, ...),
// pipe_execution (the registry's execution and run IDs, the status, kind
// and cache key) and, on the apply's events, pipe_run (trigger, Git
// commit, branch and dirty flag, pipe's version, the registry's run ID).
//
// engine/apply produces the events this package reads; cmd/pipe wires a
// Tracker to `pipe apply -openlineage=URL|FILE`.
package openlineage
