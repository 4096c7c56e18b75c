// Package failpoint holds the test hooks that let pipe's end-to-end tests
// crash a real `pipe apply` at a chosen point: in the middle of writing an
// artifact, between a step's result and its cache entry, inside a
// registry transaction.
//
// Engine code marks such a point with one line,
//
//	failpoint.Hit("apply.step.ran") // test hook: the outputs are stored, the cache entry is not
//
// In a normal build Hit is an empty function that the compiler inlines
// away: pipe as shipped has no failpoints and reads no environment
// variable for them. Built with the pipetest tag (as cmd/pipe's tests
// build the binary they run), Hit reads
//
//	PIPE_FAILPOINT=NAME[:N]
//
// and, at the Nth time the point NAME is reached in the process (N
// defaults to 1; hits are counted across goroutines), writes
// "failpoint: NAME hit N, killing the process" to standard error and
// sends itself SIGKILL: a real crash, as a machine losing power or the
// kernel's OOM killer would cause, with no deferred function run, no
// file closed and no transaction rolled back. A malformed PIPE_FAILPOINT
// is reported on standard error once and otherwise ignored.
//
// Failpoint names are PACKAGE.OBJECT.MOMENT. The points are chosen by
// what a crash there would leave behind, so that the tests can prove that
// nothing it leaves is ever read as good data:
//
//	store.put.spooled           an artifact is spooled and hashed, nothing uploaded
//	store.blob.uncommitted      a blob's bytes (object, cache entry or ref) are all
//	                            with the backend, which has not published it
//	registry.write.commit       a registry write transaction is done, not committed
//	registry.run.begun          the run is recorded as running
//	registry.execution.started  an execution is recorded as running
//	apply.step.ran              a step returned its outputs (artifacts stored),
//	                            its cache entry is not saved
//	apply.entry.saved           the cache entry is saved; the step's ref and the
//	                            end of its execution are not
//
// The points belong to the packages that hit them (engine/store,
// engine/registry, and engine/steprun for the apply.* points, the code
// an apply and a worker share to run a step); the tests that use them are cmd/pipe's
// e2e_crash_test.go, which checks that it covers every point hit in
// engine/.
package failpoint
