package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gocloud.dev/blob"

	"github.com/pipe-ml/pipe/engine/internal/failpoint"
	"github.com/pipe-ml/pipe/steps"
)

// upload writes the object a unless it is already there. open returns the
// content from its start; it is called once per attempt.
func (s *Store) upload(ctx context.Context, a steps.Artifact, open func() (io.Reader, error)) error {
	key, err := objectKey(a.Digest)
	if err != nil {
		return err
	}
	size, err := s.statKey(ctx, key)
	switch {
	case err == nil && size == a.Size:
		return nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return err
	}
	// Missing, or of the wrong size (a corrupt object): (re)write it.
	return s.do(ctx, "writing", key, func(ctx context.Context) error {
		r, err := open()
		if err != nil {
			return err
		}
		return s.writeBlob(ctx, key, a.MediaType, r, a.Size)
	})
}

// writeBlob writes exactly size bytes from r to key, or nothing at all.
func (s *Store) writeBlob(ctx context.Context, key, contentType string, r io.Reader, size int64) error {
	if s.loc.Scheme == "file" {
		return s.writeLocalBlob(key, r, size)
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.bucket.NewWriter(wctx, key, &blob.WriterOptions{ContentType: contentType})
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	// The anonymous structs hide ReadFrom and WriteTo so that CopyBuffer
	// uses buf and counts what it copies.
	n, err := io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{r}, buf)
	if err == nil && n != size {
		err = fmt.Errorf("copied %d bytes, want %d", n, size)
	}
	if err != nil {
		// Cancelling before Close aborts the write: the blob is not
		// published.
		cancel()
		_ = w.Close()
		return err
	}
	failpoint.Hit("store.blob.uncommitted") // test hook: every byte is with the backend, which has not published the blob
	return w.Close()
}

// writeLocalBlob writes exactly size bytes from r to key in a file://
// store, or nothing at all, through a temporary file of the store's own
// (see tempFile) rather than fileblob's, whose name (KEY.<time>.tmp) says
// nothing of its owner and which a killed process would leave behind.
func (s *Store) writeLocalBlob(key string, r io.Reader, size int64) error {
	final := filepath.Join(s.loc.Dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(final), 0o777); err != nil {
		return err
	}
	t, err := createTemp(filepath.Dir(final))
	if err != nil {
		return err
	}
	defer t.Close()
	n, err := io.Copy(t.File, r)
	if err == nil && n != size {
		err = fmt.Errorf("copied %d bytes, want %d", n, size)
	}
	if err != nil {
		return err
	}
	failpoint.Hit("store.blob.uncommitted") // test hook: every byte is with the backend, which has not published the blob
	_, err = t.publish(final, true)
	return err
}

// Stat returns the size of the object with the given digest, or an error
// matching ErrNotFound. It does not read the content.
func (s *Store) Stat(ctx context.Context, digest string) (int64, error) {
	key, err := objectKey(digest)
	if err != nil {
		return 0, err
	}
	return s.statKey(ctx, key)
}

// Has reports whether the object with the given digest is in the store. It
// does not read the content.
func (s *Store) Has(ctx context.Context, digest string) (bool, error) {
	_, err := s.Stat(ctx, digest)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (s *Store) statKey(ctx context.Context, key string) (int64, error) {
	var size int64
	err := s.doSmall(ctx, "stat", key, func(ctx context.Context) error {
		a, err := s.bucket.Attributes(ctx, key)
		if err != nil {
			return err
		}
		size = a.Size
		return nil
	})
	return size, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
