// Package executor is where a step runs, apart from what it computes: the
// seam between engine/apply, which decides that a step must run, and the
// machinery that runs it, in this process (Local) or as a Kubernetes Job
// (engine/executor/kubernetes).
//
// An [Executor] makes a step's cache entry exist. Apply hands it a [Task]:
// the step's names (for labels and messages), its cache key, the digest of
// its step-input document in the store (engine/stepinput: kind, kind
// version, pipe version, evaluated configuration, input digests, key), the
// step's [Resources] and, for a kind that splits into shards
// (steps.Sharder), how many. A remote executor starts
//
//	pipe step exec [-store URL] [-shard I] [-termination-log PATH] DIGEST
//
// wherever it runs work, with the store reachable: the worker checks the
// document (its pipe and kind versions, its key), exits 0 at once when the
// entry exists, else runs the kind and writes the artifacts and the entry
// with the code a local apply uses (engine/steprun). Its exit code says
// what happened: 0 done, [ExitStepFailed] the step itself failed (bad
// data; retrying cannot help), [ExitRefused] the worker refused the
// document (another pipe version, a tampered or missing document; neither
// can a retry), anything else an infrastructure failure worth retrying.
// With the two codes of its own it writes a [Termination] message, which
// [ParseTermination] turns back into the error the coordinator reports:
// a [*StepError] reads exactly as the step's error read locally.
//
// Workers never open the registry and never take the state lock: the
// coordinator records remote executions as it records local ones, with
// [Task] names and the executor's Name as where they ran.
//
// Which executor runs a step is decided by [Place]: the step's resources
// block, else the pipeline's default (-executor, PIPE_EXECUTOR,
// settings.executor, else local), except that steps reading local files
// stay on the coordinator unless their resources block names an executor,
// and steps holding a sensitive value and kinds that need the coordinator
// (steps.CoordinatorBound) always stay: no sensitive value is ever
// written to the store for a worker to read. The resources block is never
// part of a cache key: where a step runs never changes what it computes.
package executor
