package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// errCacheFill marks a failure of the object cache itself (its folder
// cannot be written, or is full), after which a read goes to the store
// directly instead.
var errCacheFill = errors.New("store: the object cache cannot take the object")

// fetch downloads the object at key into the object cache, checks that it
// hashes to digest, and returns the cache's copy, open and locked against
// eviction. The object is read in one stream, joined by ranged reads at
// once when the network is slower than this process (see rangedFetch),
// into a fill that is hashed in order as the bytes land: one download,
// one write and one hash of every byte.
//
// A copy that does not hash to digest is never kept, and the store's
// object is quarantined. When the cache's folder is full, fetch evicts
// what no process uses and tries once more; an error matching errCacheFill
// means the cache cannot take the object at all.
func (s *Store) fetch(ctx context.Context, digest, key string) (*os.File, error) {
	f, err := s.fetchOnce(ctx, digest, key)
	if errors.Is(err, errCacheFill) && ctx.Err() == nil {
		s.opts.Cache.evictUnused()
		f, err = s.fetchOnce(ctx, digest, key)
	}
	return f, err
}

func (s *Store) fetchOnce(ctx context.Context, digest, key string) (*os.File, error) {
	c := s.opts.Cache
	t, err := c.newFill()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errCacheFill, err)
	}
	defer t.Close()
	got, size, err := s.fetchInto(ctx, key, t)
	if err != nil {
		return nil, err
	}
	if got != digest {
		return nil, s.quarantine(ctx, "object", key, fmt.Sprintf("its content hashes to %s", got))
	}
	f, ours, err := c.insert(t, digest, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errCacheFill, err)
	}
	if ours {
		verified.remember(f, digest)
	}
	return f, nil
}

// fetchInto downloads the object at key into w and returns its digest and
// size. See rangedFetch.
func (s *Store) fetchInto(ctx context.Context, key string, w *tempFile) (string, int64, error) {
	f := &rangedFetch{s: s, key: key, size: -1, chunk: s.opts.FetchChunk, w: w, h: sha256.New()}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return f.head(gctx, g) })
	if err := g.Wait(); err != nil {
		return "", 0, err
	}
	if err := ctx.Err(); err != nil {
		return "", 0, err
	}
	if f.hashed != f.n {
		return "", 0, fmt.Errorf("store: fetching %s: %d of its %d chunks were hashed", key, f.hashed, f.n)
	}
	return "sha256:" + hex.EncodeToString(f.h.Sum(nil)), f.size, nil
}

// rangedFetch is the download of one object into a fill of the object
// cache. It starts as one stream from the object's start (the head),
// written and hashed as it arrives, as a plain read is. Once that stream
// has spent more than twice as long waiting for bytes as this process
// spent writing and hashing them (so the network, not this machine, holds
// the download back: one stream from real GCS or S3 carries a fraction of
// a node's bandwidth), the head stops where it is, and up to FetchStreams
// workers, the head one of them, take the rest in ranged reads of
// FetchChunk bytes (the chunks), each written in place. On loopback,
// where one stream outruns the hashing, the head stays alone: extra
// streams would only add requests and read the chunks back to hash them.
//
// The digest is taken in order: whoever lands the chunk that follows the
// hashed ones hashes it, and then the chunks after it that landed
// meanwhile, reading those back from the fill (from the page cache); a
// worker that claims the very chunk that is next to hash hashes it as its
// bytes arrive, as the head does. One download, one write and one hash of
// every byte, and no buffer larger than a read's.
type rangedFetch struct {
	s           *Store
	key         string
	size, chunk int64 // size is -1 until the head's stream tells it
	w           *tempFile

	// Once workers run: the chunks cover [base, size).
	base   int64
	n      int // chunks
	mu     sync.Mutex
	next   int    // the next chunk to claim
	landed []bool // chunks written whole
	hashed int    // chunks hashed into h, in order ([0, base) is)

	hashing bool // a goroutine is writing to h
	h       hash.Hash
}

// headSample is how much the head reads alone before it may decide that
// the network is the slower side (its first read, which warms the stream
// up, is not counted).
const headSample = 4 << 20

// head reads the object from its start in one stream; see rangedFetch.
// Its time in the stream's Read is the wait; its time writing and hashing
// is the work. Its stream's answer gives the object's size (no request
// asks for it before). A transient failure reopens the stream where it
// stopped.
func (f *rangedFetch) head(ctx context.Context, g *errgroup.Group) error {
	var pos int64 // the next byte to read
	spread := false
	var wait, work time.Duration
	buf := make([]byte, 1<<20)
	err := f.s.do(ctx, "reading", f.key, func(ctx context.Context) error {
		r, err := f.s.bucket.NewRangeReader(ctx, f.key, pos, -1, nil)
		if err != nil {
			return err
		}
		defer r.Close()
		if f.size < 0 {
			f.size = r.Size()
		}
		for pos < f.size {
			t0 := time.Now()
			n, err := io.ReadFull(r, buf[:min(int64(len(buf)), f.size-pos)])
			t1 := time.Now()
			if n > 0 {
				if _, err := f.w.WriteAt(buf[:n], pos); err != nil {
					return fmt.Errorf("%w: %w", errCacheFill, err)
				}
				f.h.Write(buf[:n])
				pos += int64(n)
			}
			if pos > int64(len(buf)) { // the first read, warming up, says little
				wait, work = wait+t1.Sub(t0), work+time.Since(t1)
			}
			if err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
			slow := wait > 2*work && pos >= headSample || f.s.opts.fetchSpread
			if slow && f.size-pos >= 2*f.chunk && f.s.opts.FetchStreams > 1 {
				spread = true
				return nil
			}
		}
		return nil
	})
	if err != nil || !spread {
		return err
	}
	// [0, pos) is written and hashed: the workers, the head one of them,
	// take the rest.
	f.base, f.n = pos, int((f.size-pos+f.chunk-1)/f.chunk)
	f.landed = make([]bool, f.n)
	for range min(f.s.opts.FetchStreams, f.n) - 1 {
		g.Go(func() error { return f.work(ctx, make([]byte, 1<<20)) })
	}
	return f.work(ctx, buf)
}

// work claims chunks and downloads each in a ranged read, until none is
// left; see rangedFetch.
func (f *rangedFetch) work(ctx context.Context, buf []byte) error {
	for {
		f.mu.Lock()
		i := f.next
		f.next++
		inline := i < f.n && !f.hashing && f.hashed == i
		if inline {
			f.hashing = true
		}
		f.mu.Unlock()
		if i >= f.n {
			return nil
		}
		var h io.Writer
		if inline {
			h = f.h
		}
		off := f.base + int64(i)*f.chunk
		if err := f.s.fetchRange(ctx, f.key, off, min(f.chunk, f.size-off), f.w, h, buf); err != nil {
			return err
		}
		if err := f.land(i, inline, buf); err != nil {
			return err
		}
	}
}

// land records that chunk i is written whole (and hashed, when inline:
// its downloader held the hash). If the hash now waits for chunk i, the
// caller takes it and hashes, in order, every chunk that has landed.
func (f *rangedFetch) land(i int, inline bool, buf []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.landed[i] = true
	switch {
	case inline:
		f.hashed++
	case f.hashing || f.hashed != i:
		return nil // the holder of the hash, or the lander of an earlier chunk, will
	default:
		f.hashing = true
	}
	defer func() { f.hashing = false }()
	for f.hashed < f.n && f.landed[f.hashed] {
		off := f.base + int64(f.hashed)*f.chunk
		f.mu.Unlock()
		_, err := io.CopyBuffer(f.h, io.NewSectionReader(f.w, off, min(f.chunk, f.size-off)), buf)
		f.mu.Lock()
		if err != nil {
			return fmt.Errorf("%w: reading back %s: %w", errCacheFill, f.w.Name(), err)
		}
		f.hashed++
	}
	return nil
}

// fetchRange copies n bytes of the object at key from off into w at the
// same offset, and into h unless it is nil, resuming after transient
// failures within the retry policy.
func (s *Store) fetchRange(ctx context.Context, key string, off, n int64, w *tempFile, h io.Writer, buf []byte) error {
	var got int64
	return s.do(ctx, "reading", key, func(ctx context.Context) error {
		r, err := s.bucket.NewRangeReader(ctx, key, off+got, n-got, nil)
		if err != nil {
			return err
		}
		defer r.Close()
		var dst io.Writer = fillWriter{io.NewOffsetWriter(w, off+got)}
		if h != nil {
			dst = io.MultiWriter(dst, h)
		}
		c, err := io.CopyBuffer(dst, struct{ io.Reader }{r}, buf) // not r.WriteTo's own buffer
		got += c
		if err == nil && got != n {
			err = io.ErrUnexpectedEOF
		}
		return err
	})
}

// fillWriter marks the errors of writing to a fill of the object cache.
type fillWriter struct{ w io.Writer }

func (f fillWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err != nil {
		err = fmt.Errorf("%w: %w", errCacheFill, err)
	}
	return n, err
}
