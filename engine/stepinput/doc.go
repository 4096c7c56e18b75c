// Package stepinput is the step-input document: everything a worker needs
// to run one step away from the coordinator, kept in the store by digest
// like any artifact. The coordinator (engine/apply) writes it for a step
// it hands to a remote executor; `pipe step exec DIGEST` reads it.
//
//	{
//	  "format": "pipe.step-input/v1",
//	  "pipe_version": "v0.4.0",            // the coordinator's build
//	  "kind": "search", "kind_version": "search/2",
//	  "pipeline": "privacy-intent", "step": "search.lr",   // names only
//	  "key": "3f2a…",                      // the step's cache key
//	  "config": {"folds": {"type": "number", "value": 5}, …},
//	  "inputs": ["sha256:…"],              // every artifact it reads
//	  "files": [{"path": "data/a.csv", "digest": "sha256:…", "size": 12}],
//	  "explanations": {"require": "evaluate.holdout.f1 >= 0.85 (… = 0.91)"},
//	  "shards": 8                          // steps.Sharder kinds only
//	}
//
// The configuration holds every attribute of the kind's schema, keyed or
// not, in the cache-key encoding (engine/cachekey), so that the worker
// decodes exactly the values the key was computed from. A sensitive
// value is never written: Build refuses a step that holds one.
//
// [Document.Check] is the worker's side: it refuses a document of another
// format, pipe version, kind or kind version (a [*Refusal]), decodes the
// configuration, and computes the key again from what it decoded,
// refusing a document whose key does not match its content. Reading the
// document by digest (Get) already refuses bytes that are not the ones
// the coordinator wrote.
//
// engine/steprun runs what Check returns; engine/executor says how a
// worker is started and how it reports.
package stepinput
