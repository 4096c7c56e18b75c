package steps

import (
	"context"
	"io"
	"log/slog"

	"gocloud.dev/blob"
)

// Env is everything a running step may use outside its own memory. The
// engine gives each Run its own Env; kinds never open the store, the
// registry or the terminal themselves.
type Env interface {
	// PutArtifact stores the bytes write produces as a new artifact of the
	// given media type and returns it. The object becomes visible in the
	// store only once write has returned nil and every byte is safely
	// stored; if write fails or ctx is cancelled, nothing is left behind.
	// Storing bytes that are already there is cheap and returns the same
	// artifact.
	PutArtifact(ctx context.Context, mediaType string, write func(w io.Writer) error) (Artifact, error)

	// OpenArtifact opens an artifact for reading. The content is checked
	// against the digest as it is read: a mismatch makes Read return an
	// error at the end instead of io.EOF, so a reader that reads to the
	// end never accepts corrupt data.
	OpenArtifact(ctx context.Context, a Artifact) (io.ReadCloser, error)

	// ReadArtifact reads a whole artifact into memory and checks its
	// digest.
	ReadArtifact(ctx context.Context, a Artifact) ([]byte, error)

	// OpenBucket opens the blob folder named by url: gs://BUCKET/PREFIX,
	// s3://BUCKET/PREFIX, mem://, file:///ABS/PATH, or a plain path
	// relative to the pipeline's folder. Kinds that write outside the store
	// (predict, publish) use it. The caller closes the bucket.
	OpenBucket(ctx context.Context, url string) (*blob.Bucket, error)

	// Logger is a structured logger already labelled with the step.
	Logger() *slog.Logger

	// Warn records a warning the user must see: it is printed with the
	// step's result and recorded with the execution in the registry (a
	// model that did not converge, rows skipped as invalid).
	Warn(summary, detail string)

	// Progress reports how far a long step has got: done out of total
	// units (total 0 when unknown), with a short note ("fold 3/5").
	Progress(done, total int64, note string)

	// Parallelism is how many goroutines the step may keep busy. Results
	// must not depend on it.
	Parallelism() int
}
