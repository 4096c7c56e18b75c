package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// errCacheFill marks a failure of the object cache itself (its folder
// cannot be written, or is full), after which a read goes to the store
// directly instead.
var errCacheFill = errors.New("store: the object cache cannot take the object")

// fetch downloads the object at key into the object cache, checks that it
// hashes to digest, and returns the cache's copy, open and locked against
// eviction. An object of at least two FetchChunks is downloaded in
// FetchChunk-sized ranged reads, Options.FetchStreams at a time, each
// written in place in the fill, while this goroutine hashes the fill in
// order as the ranges complete: one download, one write and one hash of
// every byte, and no buffer larger than a chunk.
//
// A copy that does not hash to digest is never kept, and the store's
// object is quarantined. When the cache's folder is full, fetch evicts
// what no process uses and tries once more; an error matching errCacheFill
// means the cache cannot take the object at all.
func (s *Store) fetch(ctx context.Context, digest, key string) (*os.File, error) {
	size, err := s.statKey(ctx, key)
	if err != nil {
		return nil, err
	}
	f, err := s.fetchOnce(ctx, digest, key, size)
	if errors.Is(err, errCacheFill) && ctx.Err() == nil {
		s.opts.Cache.evictUnused()
		f, err = s.fetchOnce(ctx, digest, key, size)
	}
	return f, err
}

func (s *Store) fetchOnce(ctx context.Context, digest, key string, size int64) (*os.File, error) {
	c := s.opts.Cache
	t, err := c.newFill()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errCacheFill, err)
	}
	defer t.Close()
	var got string
	if size < 2*s.opts.FetchChunk {
		got, err = s.fetchStream(ctx, key, t)
	} else {
		got, err = s.fetchRanges(ctx, key, size, t)
	}
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

// fetchStream copies the object at key into w in one stream, hashing it,
// and returns its digest. A transient failure in the middle reopens the
// stream where it stopped.
func (s *Store) fetchStream(ctx context.Context, key string, w *tempFile) (string, error) {
	h := sha256.New()
	var off int64
	err := s.do(ctx, "reading", key, func(ctx context.Context) error {
		r, err := s.bucket.NewRangeReader(ctx, key, off, -1, nil)
		if err != nil {
			return err
		}
		defer r.Close()
		n, err := io.CopyBuffer(io.MultiWriter(fillWriter{w}, h), r, make([]byte, 1<<20))
		off += n
		return err
	})
	if err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// fetchRanges downloads the object at key, of the given size, in ranged
// reads at once, into w; see fetch.
func (s *Store) fetchRanges(ctx context.Context, key string, size int64, w *tempFile) (string, error) {
	chunk := s.opts.FetchChunk
	n := int((size + chunk - 1) / chunk)
	landed := make([]chan struct{}, n)
	for i := range landed {
		landed[i] = make(chan struct{})
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	var next atomic.Int64
	for range min(s.opts.FetchStreams, n) {
		g.Go(func() error {
			buf := make([]byte, 1<<20)
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return nil
				}
				off := int64(i) * chunk
				if err := s.fetchRange(gctx, key, off, min(chunk, size-off), w, buf); err != nil {
					return err
				}
				close(landed[i])
			}
		})
	}
	// Hash the chunks in order as they land, reading them back from the
	// page cache.
	h := sha256.New()
	buf := make([]byte, 1<<20)
	var hashErr error
	for i := 0; i < n && hashErr == nil && gctx.Err() == nil; i++ {
		select {
		case <-landed[i]:
		case <-gctx.Done():
			continue
		}
		off := int64(i) * chunk
		if _, err := io.CopyBuffer(h, io.NewSectionReader(w, off, min(chunk, size-off)), buf); err != nil {
			hashErr = fmt.Errorf("%w: reading back %s: %w", errCacheFill, w.Name(), err)
			cancel()
		}
	}
	if err := g.Wait(); err != nil && hashErr == nil {
		return "", err
	}
	if hashErr != nil {
		return "", hashErr
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), ctx.Err()
}

// fetchRange copies n bytes of the object at key from off into w at the
// same offset, resuming after transient failures within the retry policy.
func (s *Store) fetchRange(ctx context.Context, key string, off, n int64, w *tempFile, buf []byte) error {
	var got int64
	return s.do(ctx, "reading", key, func(ctx context.Context) error {
		r, err := s.bucket.NewRangeReader(ctx, key, off+got, n-got, nil)
		if err != nil {
			return err
		}
		defer r.Close()
		c, err := io.CopyBuffer(fillWriter{io.NewOffsetWriter(w, off+got)}, r, buf)
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
