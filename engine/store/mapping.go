package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// Mapping is an object's content in memory, to be read in place. See
// Store.Map.
type Mapping struct {
	s      *Store
	key    string
	data   []byte
	lo     *localObject // nil when the bytes were read into memory
	check  *check       // nil when nothing is left to check
	mapped bool         // data is a memory map of lo's file
	closed bool
}

// Map returns the content of the object with the given digest, in memory,
// without waiting for its digest check:
//
//   - a file:// store's own file, or for gs:// and s3:// the object
//     cache's copy (downloaded first when missing; see Options.Cache), is
//     memory-mapped read-only: no copy, no read ahead of use. Its check
//     runs beside whatever the caller does with the bytes: a goroutine
//     hashes the file, which also brings its pages into the page cache
//     ahead of the caller. A file that
//     this process hashed to the digest before, unchanged since (see
//     verifiedFiles), is not hashed again; two Maps of one file at once
//     share one check;
//   - otherwise (mem://, or a remote store without a usable cache, or a
//     file system that cannot map) the object is read into memory and
//     checked before Map returns.
//
// The caller must call Verify before it trusts anything computed from the
// bytes, and Close when it is done with them. Verify also fails when the
// file changed in any way (was written, truncated, replaced in place)
// while it was mapped, since the bytes read then are not the bytes
// checked.
//
// The bytes are read-only: writing to them crashes the process. If
// another process truncates the mapped file, reading past its new end
// raises SIGBUS, which Go turns into a crash unless the goroutine reading
// called debug.SetPanicOnFault(true) and recovers (the check itself reads
// the file with pread, not through the map); Verify then reports the
// object as truncated or changed.
func (s *Store) Map(ctx context.Context, digest string) (*Mapping, error) {
	key, err := objectKey(digest)
	if err != nil {
		return nil, err
	}
	lo, err := s.local(ctx, digest, key)
	if err != nil {
		return nil, err
	}
	if lo != nil {
		data, err := mapFile(lo.f, lo.id.size)
		if err == nil {
			m := &Mapping{s: s, key: key, data: data, lo: lo, mapped: true}
			if !lo.verified {
				m.check = startCheck(lo)
			}
			return m, nil
		}
		lo.f.Close() // a file system that cannot map: read it instead
	}
	data, err := s.ReadAll(ctx, digest)
	if err != nil {
		return nil, err
	}
	return &Mapping{s: s, key: key, data: data}, nil
}

// Bytes is the object's content. It must not be written to, nor used
// after Close.
func (m *Mapping) Bytes() []byte { return m.data }

// Path is the local file mapped, or "" when the bytes were read into
// memory.
func (m *Mapping) Path() string {
	if !m.mapped {
		return ""
	}
	return m.lo.path
}

// Verify waits for the object's check and returns nil if the bytes hash to
// the digest and the mapped file did not change since Map. Otherwise it
// returns a *CorruptError (which matches ErrCorrupt and ErrNotFound)
// naming the object and why, after moving the bad bytes out of the way as
// Open does. It may be called more than once.
func (m *Mapping) Verify(ctx context.Context) error {
	if m.lo == nil || !m.mapped {
		return nil
	}
	if c := m.check; c != nil {
		select {
		case <-c.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if c.err != nil {
			return c.report(ctx, m.s, m.key, m.lo)
		}
	}
	if id, err := idOf(m.lo.f); err != nil || id != m.lo.id {
		return m.s.corrupt(ctx, m.key, m.lo, string(errChanged))
	}
	return nil
}

// DropPages drops the process's mapping of the whole pages inside b, if b
// lies within this Mapping's memory map (anything else is left alone):
// they leave the process's resident memory and stay in the page cache,
// and reading them again maps them back. (Where the kernel mapped a
// large folio whole, the pages around b that share it may go too; they
// map back the same way.) The mapping is shared and
// read-only, so no byte read afterwards differs.
func (m *Mapping) DropPages(b []byte) {
	if !m.mapped || m.closed || len(b) == 0 || len(m.data) == 0 {
		return
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(m.data)))
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if lo < base || lo-base+uintptr(len(b)) > uintptr(len(m.data)) {
		return
	}
	page := os.Getpagesize()
	start := int(lo - base)
	end := (start + len(b)) &^ (page - 1)
	start = (start + page - 1) &^ (page - 1)
	if start < end {
		dropPages(m.data[start:end]) // base is page-aligned: so are these
	}
}

// Close releases the bytes: a mapping is unmapped, and a check that no
// other Mapping shares is stopped. The bytes must not be used afterwards.
func (m *Mapping) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	if m.check != nil {
		m.check.release()
	}
	var err error
	if m.mapped {
		err = unmapFile(m.data)
	}
	m.data = nil
	if m.lo != nil {
		if cerr := m.lo.f.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// check is the hashing of one mapped file, shared by the Mappings of that
// file at once.
type check struct {
	key  checkKey
	done chan struct{}
	err  error // after done: why the file failed, or nil
	stop atomic.Bool

	once    sync.Once
	corrupt *CorruptError
}

type checkKey struct {
	id     fileID
	digest string
}

// checks are the checks running, with how many Mappings wait on each.
var checks = struct {
	mu    sync.Mutex
	users map[*check]int
	by    map[checkKey]*check
}{users: map[*check]int{}, by: map[checkKey]*check{}}

// corruption is why a check found a file bad: its bytes are not the
// object's. Any other error of a check says the check itself failed.
type corruption string

func (c corruption) Error() string { return string(c) }

const (
	errTruncated corruption = "it was truncated while pipe read it"
	errChanged   corruption = "it changed (was written to, truncated or replaced in place) while pipe read it"
)

var errStopped = errors.New("check stopped")

// startCheck starts hashing lo's file beside the caller's work, or joins
// the check of the same file that is running.
func startCheck(lo *localObject) *check {
	k := checkKey{lo.id, lo.digest}
	checks.mu.Lock()
	defer checks.mu.Unlock()
	if c := checks.by[k]; c != nil {
		checks.users[c]++
		return c
	}
	c := &check{key: k, done: make(chan struct{})}
	checks.by[k] = c
	checks.users[c] = 1
	// The check reads the file on its own, from its own descriptor, so
	// that it outlives any one Mapping. It reads with pread, not through
	// a map: the pages it brings into the page cache are the mappings'
	// too, but are not counted twice in the process's resident memory.
	fd, err := syscall.Dup(int(lo.f.Fd()))
	if err != nil {
		c.finish(err)
		return c
	}
	f := os.NewFile(uintptr(fd), lo.path)
	go func() {
		defer f.Close()
		err := hashFile(f, lo.id.size, lo.digest, &c.stop)
		if err == nil {
			if id, ierr := idOf(f); ierr != nil || id != lo.id {
				err = errChanged
			} else {
				verified.remember(f, lo.digest)
			}
		}
		c.finish(err)
	}()
	return c
}

// finish records the check's result and takes it off the running checks.
func (c *check) finish(err error) {
	checks.mu.Lock()
	if checks.by[c.key] == c {
		delete(checks.by, c.key)
	}
	checks.mu.Unlock()
	c.err = err
	close(c.done)
}

// release drops one Mapping's interest in c; a check nobody waits for
// stops.
func (c *check) release() {
	checks.mu.Lock()
	defer checks.mu.Unlock()
	checks.users[c]--
	if checks.users[c] > 0 {
		return
	}
	delete(checks.users, c)
	c.stop.Store(true)
	if checks.by[c.key] == c {
		delete(checks.by, c.key)
	}
}

// report turns the check's failure into the error Verify returns, moving
// the bad bytes out of the way once.
func (c *check) report(ctx context.Context, s *Store, key string, lo *localObject) error {
	var bad corruption
	if !errors.As(c.err, &bad) {
		return &OpError{Store: s.url, Op: "checking", Key: key, Attempts: 1, Err: c.err}
	}
	c.once.Do(func() { c.corrupt = s.corrupt(ctx, key, lo, string(bad)) })
	return c.corrupt
}

// hashFile hashes the first size bytes of f and checks them against
// digest. A file shorter than size was truncated.
func hashFile(f *os.File, size int64, digest string, stop *atomic.Bool) error {
	h := sha256.New()
	buf := make([]byte, 1<<20) // small: the Go heap stands beside the mapped file in the step's memory
	for off := int64(0); off < size; {
		if stop.Load() {
			return errStopped
		}
		n, err := f.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		h.Write(buf[:n])
		off += int64(n)
		if errors.Is(err, io.EOF) {
			return errTruncated
		}
		if err != nil {
			return err
		}
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != digest {
		return corruption("its content hashes to " + got)
	}
	return nil
}
