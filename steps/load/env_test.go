package load

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"sync"
	"testing"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob"

	"github.com/pipe-ml/pipe/steps"
)

// testEnv is a steps.Env over a real gocloud mem:// bucket, standing in
// for the engine's until steps/steptest lands. Artifacts are stored under
// objects/sha256/ as the engine stores them.
type testEnv struct {
	t        testing.TB
	bucket   *blob.Bucket
	par      int
	mu       sync.Mutex
	warnings []string
	progress int
}

func newTestEnv(t testing.TB, par int) *testEnv {
	b, err := blob.OpenBucket(context.Background(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return &testEnv{t: t, bucket: b, par: par}
}

func key(digest string) string { return "objects/sha256/" + digest[len("sha256:"):] }

func (e *testEnv) PutArtifact(ctx context.Context, mediaType string, write func(w io.Writer) error) (steps.Artifact, error) {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return steps.Artifact{}, err
	}
	sum := sha256.Sum256(buf.Bytes())
	a := steps.Artifact{Digest: "sha256:" + hex.EncodeToString(sum[:]), MediaType: mediaType, Size: int64(buf.Len())}
	if err := e.bucket.WriteAll(ctx, key(a.Digest), buf.Bytes(), nil); err != nil {
		return steps.Artifact{}, err
	}
	return a, nil
}

func (e *testEnv) OpenArtifact(ctx context.Context, a steps.Artifact) (io.ReadCloser, error) {
	return e.bucket.NewReader(ctx, key(a.Digest), nil)
}

func (e *testEnv) ReadArtifact(ctx context.Context, a steps.Artifact) ([]byte, error) {
	return e.bucket.ReadAll(ctx, key(a.Digest))
}

func (e *testEnv) OpenBucket(ctx context.Context, url string) (*blob.Bucket, error) {
	return blob.OpenBucket(ctx, url)
}

func (e *testEnv) Logger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func (e *testEnv) Warn(summary, detail string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.warnings = append(e.warnings, summary+": "+detail)
}

func (e *testEnv) Progress(done, total int64, note string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.progress++
}

func (e *testEnv) Parallelism() int { return e.par }
