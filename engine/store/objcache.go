package store

import (
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/pipe-ml/pipe/engine/tempfile"
)

// DefaultCacheMax is the size bound of an object cache opened with none.
const DefaultCacheMax = 20 << 30

// ObjectCache is a folder of verified local copies of remote objects, as
// BuildKit's content store and Bazel's disk cache keep them: a Store over
// gs:// or s3:// opened with one (Options.Cache) reads an object from the
// network at most once per machine, and every object it writes lands
// there too. Objects are content-addressed, so one cache serves any number
// of stores; it belongs to the machine, not to a pipeline.
//
// Layout, under the cache's folder:
//
//	sha256/ab/cdef0123…   verified copies, named as in the store
//	used/ab/cdef0123…     empty files whose modification time is the
//	                      copy's last use (the copies' own times never
//	                      change, see below)
//	tmp/                  fills in progress (see tempFile)
//	lock                  held by the process that evicts
//
// A copy enters the cache only once its bytes hashed to its name (a fill
// is hashed while it is written, then linked into place; a fill that finds
// the copy already there drops its own), and is never modified afterwards,
// nor touched: the file's identity (inode, size, times) is what tells a
// reader that it is unchanged since it was verified (see Store.Map).
//
// Several processes may use one cache at once. A reader holds a shared
// flock on each copy while it uses it; eviction takes the folder's lock,
// then removes the least recently used copies that no process holds, until
// the cache is within its bound. A copy larger than the whole bound is
// kept while it is used, and is the first to go after.
type ObjectCache struct {
	dir string
	max int64
}

// OpenObjectCache opens the object cache in dir, creating it when missing,
// with a bound of maxBytes (DefaultCacheMax when 0 or less). It fails when
// dir cannot be created or written, with an error that names it.
func OpenObjectCache(dir string, maxBytes int64) (*ObjectCache, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultCacheMax
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("store: object cache %s: %w", dir, err)
	}
	c := &ObjectCache{dir: abs, max: maxBytes}
	for _, sub := range []string{"sha256", "used", "tmp"} {
		if err := os.MkdirAll(filepath.Join(abs, sub), 0o755); err != nil {
			return nil, fmt.Errorf("store: object cache %s cannot be created: %w. Set PIPE_CACHE_DIR to a folder pipe may write", abs, err)
		}
	}
	if err := syscall.Access(filepath.Join(abs, "tmp"), 2 /* W_OK */); err != nil {
		return nil, fmt.Errorf("store: object cache %s cannot be written: %w. Set PIPE_CACHE_DIR to a folder pipe may write", abs, err)
	}
	return c, nil
}

// Dir is the cache's folder.
func (c *ObjectCache) Dir() string { return c.dir }

// Max is the cache's size bound in bytes.
func (c *ObjectCache) Max() int64 { return c.max }

// Path is where the copy of the object with the given digest is (or would
// be). It panics on a malformed digest.
func (c *ObjectCache) Path(digest string) string {
	return c.sub("sha256", digest)
}

func (c *ObjectCache) sub(top, digest string) string {
	hex := strings.TrimPrefix(digest, "sha256:")
	if !isHex64(hex) {
		panic(fmt.Sprintf("store: %q is not a digest", digest))
	}
	return filepath.Join(c.dir, top, hex[:2], hex[2:])
}

// open opens the cached copy of digest, locked against eviction, if it is
// there. The caller closes the file, which releases the lock.
func (c *ObjectCache) open(digest string) (*os.File, bool) {
	f, err := os.Open(c.Path(digest))
	if err != nil {
		return nil, false
	}
	if syscall.Flock(int(f.Fd()), syscall.LOCK_SH) != nil {
		f.Close()
		return nil, false
	}
	// Eviction may have removed it between the open and the lock.
	var st syscall.Stat_t
	if syscall.Fstat(int(f.Fd()), &st) != nil || st.Nlink == 0 {
		f.Close()
		return nil, false
	}
	c.touch(digest)
	return f, true
}

// newFill starts a fill: a temporary file in the cache's tmp folder.
func (c *ObjectCache) newFill() (*tempFile, error) {
	t, err := createTemp(filepath.Join(c.dir, "tmp"))
	if err != nil {
		return nil, fmt.Errorf("store: object cache %s: %w", c.dir, err)
	}
	return t, nil
}

// insert publishes a complete, verified fill as the copy of digest (or
// keeps the copy already there, which another process filled) and evicts
// what the bound requires. It returns the copy, open and locked against
// eviction, and whether it is this fill.
func (c *ObjectCache) insert(t *tempFile, digest string, size int64) (*os.File, bool, error) {
	path := c.Path(digest)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, false, fmt.Errorf("store: object cache %s: %w", c.dir, err)
	}
	if _, err := t.publish(path, false); err != nil {
		return nil, false, fmt.Errorf("store: object cache %s: %w", c.dir, err)
	}
	// The fill's own lock is exclusive: share it, or open's would wait
	// for it.
	_ = syscall.Flock(int(t.Fd()), syscall.LOCK_SH)
	f, ok := c.open(digest)
	if !ok {
		return nil, false, fmt.Errorf("store: object cache %s: the copy of %s vanished as it was filled", c.dir, digest)
	}
	if st, err := f.Stat(); err != nil || st.Size() != size {
		f.Close()
		return nil, false, fmt.Errorf("store: object cache %s: the copy of %s is not %d bytes", c.dir, digest, size)
	}
	c.Evict()
	return f, sameFile(f, t.File), nil
}

// remove drops the copy of digest, which failed its check.
func (c *ObjectCache) remove(digest string) {
	os.Remove(c.Path(digest))
	os.Remove(c.sub("used", digest))
}

// touch records that the copy of digest was used now.
func (c *ObjectCache) touch(digest string) {
	p := c.sub("used", digest)
	now := time.Now()
	if os.Chtimes(p, now, now) == nil {
		return
	}
	if os.MkdirAll(filepath.Dir(p), 0o755) == nil {
		if f, err := os.Create(p); err == nil {
			f.Close()
		}
	}
}

// cachedCopy is one copy found by Evict.
type cachedCopy struct {
	path, used string
	size       int64
	last       time.Time
}

// Evict removes the least recently used copies that no process is using
// until the cache holds at most its bound, and returns how many bytes it
// freed. When another process is evicting, it returns at once.
func (c *ObjectCache) Evict() int64 { return c.evictTo(c.max) }

// evictUnused removes every copy that no process is using, to make room
// on a full disk.
func (c *ObjectCache) evictUnused() int64 { return c.evictTo(0) }

func (c *ObjectCache) evictTo(bound int64) int64 {
	lock, err := os.OpenFile(filepath.Join(c.dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return 0
	}
	defer lock.Close()
	if syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return 0
	}
	copies, total := c.list()
	if total <= bound {
		return 0
	}
	slices.SortFunc(copies, func(a, b cachedCopy) int {
		return cmp.Or(a.last.Compare(b.last), strings.Compare(a.path, b.path))
	})
	var freed int64
	for _, cc := range copies {
		if total-freed <= bound {
			break
		}
		if tempfile.RemoveOrphan(cc.path) { // unless a reader holds its lock
			os.Remove(cc.used)
			freed += cc.size
		}
	}
	return freed
}

// list returns every copy in the cache and their total size.
func (c *ObjectCache) list() ([]cachedCopy, int64) {
	var copies []cachedCopy
	var total int64
	root := filepath.Join(c.dir, "sha256")
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		cc := cachedCopy{path: path, used: filepath.Join(c.dir, "used", rel), size: info.Size(), last: info.ModTime()}
		if u, err := os.Stat(cc.used); err == nil && u.ModTime().After(cc.last) {
			cc.last = u.ModTime()
		}
		copies = append(copies, cc)
		total += cc.size
		return nil
	})
	return copies, total
}
