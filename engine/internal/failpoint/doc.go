// Package failpoint holds the test hooks that let pipe's end-to-end tests
// crash a real `pipe apply` at a chosen point: in the middle of writing an
// artifact, between a step's result and its cache entry, inside a
// registry transaction.
//
// Engine code marks such a point with one line,
//
//	failpoint.Hit("store.put.uploading") // test hook: see engine/internal/failpoint
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
// Failpoint names are DOMAIN.OBJECT.MOMENT, and each is documented where
// it is hit. The points are chosen by what a crash there would leave
// behind, so the tests can prove that nothing it leaves is ever read as
// good data. The points themselves belong to the packages that hit them
// (engine/store, engine/registry, engine/apply); the tests that use them
// are cmd/pipe's e2e_*_test.go.
package failpoint
