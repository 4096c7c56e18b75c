package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Open opens the object with the given digest for reading. The content is
// hashed as it is read: at the end, a mismatch makes Read return a
// *CorruptError (which matches ErrCorrupt and ErrNotFound) instead of
// io.EOF, and the object is moved to quarantine/ so that the next Put of
// the same content writes it again (a bad copy in the object cache is
// removed instead, and the next read fetches the object again). A missing
// object is an error matching ErrNotFound.
//
// Where the bytes come from: a file:// store's own file; for gs:// and
// s3:// with an object cache, the cache's copy, downloaded first when
// missing (see Options.Cache); otherwise a stream from the store, which a
// transient failure in the middle reopens where it stopped, within the
// retry policy. A local file that this process already hashed, unchanged
// since (see verifiedFiles), is not hashed again.
func (s *Store) Open(ctx context.Context, digest string) (*Reader, error) {
	key, err := objectKey(digest)
	if err != nil {
		return nil, err
	}
	lo, err := s.local(ctx, digest, key)
	if err != nil {
		return nil, err
	}
	r := &Reader{s: s, ctx: ctx, key: key, digest: digest}
	if lo != nil {
		r.local, r.src, r.size = lo, lo.f, lo.id.size
		if !lo.verified {
			r.h = sha256.New()
		}
		return r, nil
	}
	r.h = sha256.New()
	err = s.do(ctx, "reading", key, func(ctx context.Context) error {
		br, err := s.bucket.NewReader(ctx, key, nil)
		if err != nil {
			return err
		}
		r.src, r.size = br, br.Size()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Reader reads one object and checks its digest. See Store.Open.
type Reader struct {
	s       *Store
	ctx     context.Context
	key     string
	digest  string
	size    int64
	src     io.ReadCloser // a *blob.Reader, or local's file
	local   *localObject  // nil for a stream from the store
	h       hash.Hash     // nil when local is already verified
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
		n, err := r.src.Read(p)
		if r.h != nil {
			r.h.Write(p[:n])
		}
		r.off += int64(n)
		switch {
		case err == nil:
			return n, nil
		case err == io.EOF:
			r.err = r.verify()
			return n, r.err
		case r.local == nil && transient(err) && r.ctx.Err() == nil && r.reopens < r.s.opts.Retry.Attempts-1:
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
	_ = r.src.Close()
	return r.s.do(r.ctx, "reading", r.key, func(ctx context.Context) error {
		br, err := r.s.bucket.NewRangeReader(ctx, r.key, r.off, -1, nil)
		if err != nil {
			return err
		}
		r.src = br
		return nil
	})
}

func (r *Reader) verify() error {
	if r.h == nil {
		return io.EOF
	}
	got := "sha256:" + hex.EncodeToString(r.h.Sum(nil))
	if got == r.digest {
		if r.local != nil {
			r.local.remember(r.digest)
		}
		return io.EOF
	}
	return r.s.corrupt(r.ctx, r.key, r.local, fmt.Sprintf("its content hashes to %s", got))
}

// Close releases the reader.
func (r *Reader) Close() error {
	return r.src.Close()
}

// corrupt reports an object whose bytes failed their check and moves them
// out of the way: the store's object to quarantine/, a copy in the object
// cache out of the cache.
func (s *Store) corrupt(ctx context.Context, key string, lo *localObject, reason string) *CorruptError {
	if lo != nil && lo.cached {
		s.opts.Cache.remove(lo.digest)
		return &CorruptError{Store: s.url, What: "local copy of object", Key: lo.path,
			Reason: reason + "; removed from the object cache, the next read downloads it again"}
	}
	return s.quarantine(ctx, "object", key, reason)
}

// quarantine moves a corrupt blob out of the way, best effort, and returns
// the *CorruptError that reports it.
func (s *Store) quarantine(ctx context.Context, what, key, reason string) *CorruptError {
	ce := &CorruptError{Store: s.url, What: what, Key: key, Reason: reason}
	q := quarantinePrefix + strings.ReplaceAll(key, "/", "_") + "." + strconv.FormatInt(time.Now().UnixNano(), 36)
	if s.loc.Scheme == "file" {
		qpath := filepath.Join(s.loc.Dir, filepath.FromSlash(q))
		if os.MkdirAll(filepath.Dir(qpath), 0o777) == nil &&
			os.Rename(filepath.Join(s.loc.Dir, filepath.FromSlash(key)), qpath) == nil {
			ce.Quarantine = q
		}
		return ce
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.RequestTimeout)
	defer cancel()
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

// localObject is an object's bytes in a local file, open and locked
// against the object cache's eviction.
type localObject struct {
	f      *os.File
	path   string
	digest string
	id     fileID // when opened
	// verified says that this process hashed the file to digest and
	// that it has not changed since (see verifiedFiles).
	verified bool
	// cached says the file is the object cache's copy, not the store's
	// own file.
	cached bool
}

// remember records that the file hashed to digest, if it is unchanged
// since it was opened.
func (lo *localObject) remember(digest string) {
	if id, err := idOf(lo.f); err == nil && id == lo.id {
		verified.remember(lo.f, digest)
	}
}

// local returns the object as a local file, when there is one to have: a
// file:// store's own file, or the object cache's copy, which it first
// downloads when missing. It returns nil (and no error) for a store with
// no local files (mem://, or remote without a usable cache), where the
// caller streams the object from the store.
func (s *Store) local(ctx context.Context, digest, key string) (*localObject, error) {
	var f *os.File
	lo := &localObject{digest: digest}
	switch {
	case s.loc.Scheme == "file":
		lo.path = filepath.Join(s.loc.Dir, filepath.FromSlash(key))
		var err error
		if f, err = os.Open(lo.path); err != nil {
			return nil, &OpError{Store: s.url, Op: "reading", Key: key, Attempts: 1, Err: err}
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil && !errors.Is(err, syscall.ENOLCK) {
			f.Close()
			return nil, &OpError{Store: s.url, Op: "reading", Key: key, Attempts: 1, Err: err}
		}
	case s.opts.Cache != nil && s.loc.Scheme != "mem":
		c := s.opts.Cache
		lo.path, lo.cached = c.Path(digest), true
		var ok bool
		if f, ok = c.open(digest); !ok {
			var err error
			if f, err = s.fetch(ctx, digest, key); err != nil {
				if errors.Is(err, ErrNotFound) || ctx.Err() != nil || !errors.Is(err, errCacheFill) {
					return nil, err
				}
				return nil, nil // the cache cannot take it: stream it
			}
		}
	default:
		return nil, nil
	}
	id, err := idOf(f)
	if err != nil {
		f.Close()
		return nil, &OpError{Store: s.url, Op: "reading", Key: key, Attempts: 1, Err: err}
	}
	lo.f, lo.id, lo.verified = f, id, verified.check(id, digest)
	return lo, nil
}
