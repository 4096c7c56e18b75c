package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/pipe-ml/pipe/engine/internal/failpoint"
	"github.com/pipe-ml/pipe/steps"
)

// Put stores the bytes write produces as an object and returns it as an
// artifact. Every byte is written once and hashed on the way, in the same
// pass:
//
//   - file:// stores: into a temporary file in the store's own folder,
//     which is then given its name, objects/sha256/<2 hex digits>/<62>;
//   - gs:// and s3://: into a fill of the object cache (Options.Cache),
//     or into a spool file in Options.SpoolDir when there is no usable
//     cache, which is then uploaded; the cache keeps the fill as the
//     object's verified copy, so reading it back costs no download;
//   - mem://: into memory.
//
// An object already in the store under that name and of that size is not
// written again. The object becomes visible under its name only once it
// is complete: a local file is linked or renamed into place, and the
// remote backends publish a blob when its writer is closed (Put cancels
// the writer instead of closing it on any error). If write fails, Put
// returns its error unchanged and leaves nothing in the store. The media
// type is recorded as the blob's content type where the backend keeps
// one; the digest alone identifies the object.
func (s *Store) Put(ctx context.Context, mediaType string, write func(w io.Writer) error) (steps.Artifact, error) {
	switch s.loc.Scheme {
	case "file":
		return s.putLocal(ctx, mediaType, write)
	case "mem":
		var buf bytes.Buffer
		a, err := spool(ctx, &buf, "memory", mediaType, write)
		if err != nil {
			return steps.Artifact{}, err
		}
		failpoint.Hit("store.put.spooled") // test hook: spooled and hashed, nothing uploaded yet
		return a, s.upload(ctx, a, func() (io.Reader, error) { return bytes.NewReader(buf.Bytes()), nil })
	default:
		return s.putRemote(ctx, mediaType, write)
	}
}

// PutBytes stores data as an object, like Put.
func (s *Store) PutBytes(ctx context.Context, mediaType string, data []byte) (steps.Artifact, error) {
	if s.loc.Scheme == "mem" {
		sum := sha256.Sum256(data)
		a := steps.Artifact{Digest: "sha256:" + hex.EncodeToString(sum[:]), MediaType: mediaType, Size: int64(len(data))}
		return a, s.upload(ctx, a, func() (io.Reader, error) { return bytes.NewReader(data), nil })
	}
	return s.Put(ctx, mediaType, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// spool writes what write produces to w, hashing and counting it on the
// way, and returns the artifact the bytes make. name says where w goes,
// for errors.
func spool(ctx context.Context, w io.Writer, name, mediaType string, write func(w io.Writer) error) (steps.Artifact, error) {
	h := sha256.New()
	bw := bufio.NewWriterSize(&hashingWriter{w: w, h: h}, 1<<20)
	cw := &countingWriter{w: bw}
	if err := write(cw); err != nil {
		return steps.Artifact{}, err
	}
	if err := bw.Flush(); err != nil {
		return steps.Artifact{}, fmt.Errorf("store: writing %s: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return steps.Artifact{}, err
	}
	return steps.Artifact{Digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), MediaType: mediaType, Size: cw.n}, nil
}

// hashingWriter writes to w and hashes what it writes into h. A large
// write is hashed on another goroutine while it is written (two cores
// each take one of the two passes over the bytes: a dataset's 234 MB
// cost max(hash, write) instead of their sum); a small one in line.
type hashingWriter struct {
	w io.Writer
	h hash.Hash
}

// concurrentHash is the size from which a write is hashed beside.
const concurrentHash = 256 << 10

func (hw *hashingWriter) Write(p []byte) (int, error) {
	if len(p) < concurrentHash {
		n, err := hw.w.Write(p)
		hw.h.Write(p[:n])
		return n, err
	}
	done := make(chan struct{})
	go func() {
		hw.h.Write(p) // only p's bytes are read, by both goroutines
		close(done)
	}()
	n, err := hw.w.Write(p)
	<-done
	if n < len(p) && err == nil {
		err = io.ErrShortWrite
	}
	// On a short write the hash holds bytes never written; the object
	// fails with err, and its digest is not used.
	return n, err
}

// putLocal writes an object in place in a file:// store.
func (s *Store) putLocal(ctx context.Context, mediaType string, write func(w io.Writer) error) (steps.Artifact, error) {
	dir := filepath.Join(s.loc.Dir, filepath.FromSlash(objectsPrefix))
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return steps.Artifact{}, &OpError{Store: s.url, Op: "writing", Attempts: 1, Err: err}
	}
	t, err := createTemp(dir)
	if err != nil {
		return steps.Artifact{}, &OpError{Store: s.url, Op: "writing", Attempts: 1, Err: err}
	}
	defer t.Close()
	a, err := spool(ctx, t, "a new object in "+dir, mediaType, write)
	if err != nil {
		return steps.Artifact{}, err
	}
	failpoint.Hit("store.put.spooled") // test hook: spooled and hashed, nothing uploaded yet
	key, _ := objectKey(a.Digest)
	final := filepath.Join(s.loc.Dir, filepath.FromSlash(key))
	if st, err := os.Stat(final); err == nil && st.Size() == a.Size {
		return a, nil
	}
	// Missing, or of the wrong size (a corrupt object): (re)place it.
	if err := os.MkdirAll(filepath.Dir(final), 0o777); err != nil {
		return steps.Artifact{}, &OpError{Store: s.url, Op: "writing", Key: key, Attempts: 1, Err: err}
	}
	failpoint.Hit("store.blob.uncommitted") // test hook: every byte is written, the object is not published
	if _, err := t.publish(final, true); err != nil {
		return steps.Artifact{}, &OpError{Store: s.url, Op: "writing", Key: key, Attempts: 1, Err: err}
	}
	verified.remember(t.File, a.Digest)
	return a, nil
}

// putRemote spools an object into the object cache (or the spool folder)
// and uploads it from there.
func (s *Store) putRemote(ctx context.Context, mediaType string, write func(w io.Writer) error) (steps.Artifact, error) {
	cache := s.opts.Cache
	var t *tempFile
	var err error
	if cache != nil {
		if t, err = cache.newFill(); err != nil {
			cache = nil // a cache that cannot be written is passed by
		}
	}
	if t == nil {
		if t, err = createTemp(s.opts.SpoolDir); err != nil {
			return steps.Artifact{}, err
		}
	}
	defer t.Close()
	a, err := spool(ctx, t, "a spool file in "+t.dir, mediaType, write)
	if err != nil {
		return steps.Artifact{}, err
	}
	failpoint.Hit("store.put.spooled") // test hook: spooled and hashed, nothing uploaded yet
	err = s.upload(ctx, a, func() (io.Reader, error) {
		_, err := t.Seek(0, io.SeekStart)
		return t, err
	})
	if err != nil {
		return steps.Artifact{}, err
	}
	if cache != nil {
		if f, ours, err := cache.insert(t, a.Digest, a.Size); err == nil {
			if ours {
				verified.remember(f, a.Digest)
			}
			f.Close()
		}
	}
	return a, nil
}
