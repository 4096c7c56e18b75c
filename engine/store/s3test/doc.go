// Package s3test runs a real S3 server for tests: Versity's S3 gateway
// (versitygw) on loopback, serving a folder of this machine, so that the
// Amazon S3 code paths (s3:// stores, conditional writes with
// If-None-Match) are tested against the S3 API itself instead of a mock.
//
// Start finds the versitygw binary (on PATH, or in $GOPATH/bin or
// ~/go/bin), starts it on a free loopback port over a temporary folder
// with one bucket, and sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_REGION for the test, as the AWS SDK reads them. When the binary is
// missing the test is skipped, unless PIPE_REQUIRE_S3=1 (as in CI), when
// it fails. Install it with
//
//	go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
//
// Because Start calls t.Setenv, a test that uses it cannot be parallel.
//
// The package only runs the server; engine/store owns the code under
// test, and engine/store/gcstest does the same for Google Cloud Storage.
package s3test
