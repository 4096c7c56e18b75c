// Package plan decides, for each step of a pipeline, whether it runs or is
// served from the cache, and says why.
//
// It walks the steps in dependency order. A step whose inputs are all
// known (its upstream steps are cached) gets its cache key; when the store
// holds an entry for that key, the step is cached and its outputs become
// known to the steps after it. Otherwise it must run, and the plan
// compares its preimage with the one of the step's last successful
// execution (found through the store's refs) to list what changed: the
// step is new, an attribute changed (old → new), an input file changed,
// the kind's implementation changed, or -replace asked. A step that reads
// the output of a step that must run has a key known only after apply.
//
// A plan can be saved (-out=FILE) and applied later; the saved file
// records what the plan was made from so that applying it refuses a
// pipeline, variables or inputs that changed since. The JSON document a
// plan prints (-json) is the saved file's format; see Document.
//
// engine/apply executes plans; engine/cache and engine/cachekey hold the
// entries and keys this package reads.
package plan
