// Package snapshot reads the pipeline pipe serve runs: each check loads
// it afresh from disk (Loader.Load), so a run always uses one consistent
// load. The files are read once, and the whole check (plan, apply) uses
// the bytes read.
//
// A pipeline folder that is a Kubernetes ConfigMap mount (files that are
// symlinks into ..data, which kubelet swaps atomically to a new
// timestamped folder) is read between two reads of the ..data link, and
// read again when the link moved meanwhile, so a load never mixes two
// versions of the ConfigMap. A load with errors is kept too: it is never
// run, neither in its new form nor in its last good one, and it keeps the
// last good load's name so that its metrics stay one series.
//
// A Snapshot carries what everything else shows of a load: validity,
// diagnostics (with the pipeline files' sources for snippets, never the
// variable files'), the config digest that fingerprints an apply's
// inputs, and the redactor for its sensitive values
// (engine/serve/redaction).
//
// engine/serve calls the Loader and spreads the result (to the watcher,
// the metrics, the resources); engine/serve/applies plans and applies it;
// engine/serve/api and engine/serve/page show it.
package snapshot
