// Package gcstest runs the fake-gcs-server emulator for tests, so that the
// Google Cloud Storage code paths are tested against the real GCS JSON API
// on loopback instead of a mock.
//
// Start finds the fake-gcs-server binary (on PATH, or in $GOPATH/bin or
// ~/go/bin), starts it on a free loopback port with a file system backend
// in a temporary folder, creates a bucket, and points Google's clients at
// it by setting STORAGE_EMULATOR_HOST for the test. When the binary is
// missing the test is skipped, unless PIPE_REQUIRE_GCS=1 (as in CI), when
// it fails. Install it with
//
//	go install github.com/fsouza/fake-gcs-server@v1.56.1
//
// Because Start calls t.Setenv, a test that uses it cannot be parallel.
//
// The package only runs the emulator; engine/store owns the code under
// test.
package gcstest
