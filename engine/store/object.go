package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/pipe-ml/pipe/engine/internal/failpoint"
	"github.com/pipe-ml/pipe/steps"
)

// Put stores the bytes write produces as an object and returns it as an
// artifact. The bytes are first written to a spool file in
// Options.SpoolDir and hashed on the way; the object is then uploaded to
// objects/sha256/<first 2 hex digits>/<other 62> unless an object of that
// name and size is already there.
//
// The object becomes visible under its name only once it is complete: the
// backends publish a blob when its writer is closed, and Put cancels the
// writer instead of closing it on any error. If write fails, Put returns
// its error unchanged and leaves nothing in the store. The media type is
// recorded as the blob's content type where the backend keeps one; the
// digest alone identifies the object.
func (s *Store) Put(ctx context.Context, mediaType string, write func(w io.Writer) error) (steps.Artifact, error) {
	spool, err := os.CreateTemp(s.opts.SpoolDir, spoolPattern)
	if err != nil {
		return steps.Artifact{}, fmt.Errorf("store: creating a spool file: %w", err)
	}
	defer func() {
		_ = spool.Close()
		_ = os.Remove(spool.Name())
	}()
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(spool, h), 1<<20)
	cw := &countingWriter{w: bw}
	if err := write(cw); err != nil {
		return steps.Artifact{}, err
	}
	if err := bw.Flush(); err != nil {
		return steps.Artifact{}, fmt.Errorf("store: writing spool file %s: %w", spool.Name(), err)
	}
	if err := ctx.Err(); err != nil {
		return steps.Artifact{}, err
	}
	failpoint.Hit("store.put.spooled") // test hook: spooled and hashed, nothing uploaded yet
	a := steps.Artifact{Digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), MediaType: mediaType, Size: cw.n}
	err = s.upload(ctx, a, func() (io.Reader, error) {
		_, err := spool.Seek(0, io.SeekStart)
		return spool, err
	})
	if err != nil {
		return steps.Artifact{}, err
	}
	return a, nil
}

// spoolPattern names Put's spool files, for os.CreateTemp.
const spoolPattern = "pipe-spool-*"

// PutBytes stores data as an object, like Put.
func (s *Store) PutBytes(ctx context.Context, mediaType string, data []byte) (steps.Artifact, error) {
	sum := sha256.Sum256(data)
	a := steps.Artifact{Digest: "sha256:" + hex.EncodeToString(sum[:]), MediaType: mediaType, Size: int64(len(data))}
	err := s.upload(ctx, a, func() (io.Reader, error) { return bytes.NewReader(data), nil })
	if err != nil {
		return steps.Artifact{}, err
	}
	return a, nil
}

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

// Open opens the object with the given digest for reading. The content is
// hashed as it is read: at the end, a mismatch makes Read return a
// *CorruptError (which matches ErrCorrupt and ErrNotFound) instead of
// io.EOF, and the object is moved to quarantine/ so that the next Put of
// the same content writes it again. A missing object is an error matching
// ErrNotFound. A transient failure in the middle of the stream reopens the
// object where it stopped, within the retry policy.
func (s *Store) Open(ctx context.Context, digest string) (*Reader, error) {
	key, err := objectKey(digest)
	if err != nil {
		return nil, err
	}
	r := &Reader{s: s, ctx: ctx, key: key, digest: digest, h: sha256.New()}
	err = s.do(ctx, "reading", key, func(ctx context.Context) error {
		br, err := s.bucket.NewReader(ctx, key, nil)
		if err != nil {
			return err
		}
		r.r = br
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.size = r.r.Size()
	return r, nil
}

// Reader reads one object and checks its digest. See Store.Open.
type Reader struct {
	s       *Store
	ctx     context.Context
	key     string
	digest  string
	size    int64
	r       *blob.Reader
	h       hash.Hash
	off     int64
	reopens int
	err     error // sticky
}

// Size is the object's size in bytes, as the store reports it.
func (r *Reader) Size() int64 { return r.size }

// Read reads the object. It returns io.EOF only after every byte was read
// and the digest matched.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	for {
		n, err := r.r.Read(p)
		r.h.Write(p[:n])
		r.off += int64(n)
		switch {
		case err == nil:
			return n, nil
		case err == io.EOF:
			r.err = r.verify()
			return n, r.err
		case transient(err) && r.ctx.Err() == nil && r.reopens < r.s.opts.Retry.Attempts-1:
			r.reopens++
			if rerr := r.reopen(); rerr != nil {
				r.err = rerr
				return n, r.err
			}
			if n > 0 {
				return n, nil
			}
		default:
			r.err = &OpError{Store: r.s.url, Op: "reading", Key: r.key, Attempts: r.reopens + 1, Err: err}
			return n, r.err
		}
	}
}

// reopen continues the stream at r.off after a transient failure.
func (r *Reader) reopen() error {
	_ = r.r.Close()
	return r.s.do(r.ctx, "reading", r.key, func(ctx context.Context) error {
		br, err := r.s.bucket.NewRangeReader(ctx, r.key, r.off, -1, nil)
		if err != nil {
			return err
		}
		r.r = br
		return nil
	})
}

func (r *Reader) verify() error {
	got := "sha256:" + hex.EncodeToString(r.h.Sum(nil))
	if got == r.digest {
		return io.EOF
	}
	return r.s.quarantine(r.ctx, "object", r.key, fmt.Sprintf("its content hashes to %s", got))
}

// Close releases the reader.
func (r *Reader) Close() error {
	return r.r.Close()
}

// quarantine moves a corrupt blob out of the way, best effort, and returns
// the *CorruptError that reports it.
func (s *Store) quarantine(ctx context.Context, what, key, reason string) *CorruptError {
	ce := &CorruptError{Store: s.url, What: what, Key: key, Reason: reason}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.RequestTimeout)
	defer cancel()
	q := quarantinePrefix + strings.ReplaceAll(key, "/", "_") + "." + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := s.bucket.Copy(ctx, q, key, nil); err == nil {
		ce.Quarantine = q
	}
	_ = s.bucket.Delete(ctx, key)
	return ce
}

// ReadAll reads the whole object with the given digest and checks it.
func (s *Store) ReadAll(ctx context.Context, digest string) ([]byte, error) {
	r, err := s.Open(ctx, digest)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var buf bytes.Buffer
	buf.Grow(int(r.Size()) + 1)
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
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
