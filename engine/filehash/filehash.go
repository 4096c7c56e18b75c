package filehash

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pipe-ml/pipe/engine/tempfile"
	"golang.org/x/sync/singleflight"
)

// FileName is the name of the cache file in the state folder.
const FileName = "statcache.json"

// cacheVersion changes whenever the file's format or meaning does; a file
// of another version is ignored.
const cacheVersion = 1

// Settings tune a Cache. Nil settings, and zero fields, mean the defaults.
type Settings struct {
	// RacyWindow: a file whose mtime or ctime is less than RacyWindow
	// older than the moment its hashing began is not remembered. Default
	// 2 s, which covers the coarsest local file systems.
	RacyWindow time.Duration
}

// Stats say what Digest calls cost.
type Stats struct {
	// Hits are files whose digest came from the cache, unread.
	Hits int
	// Hashed are files that were read and hashed, BytesHashed their
	// total size.
	Hashed      int
	BytesHashed int64
	// Racy are hashed files too recently written to be remembered.
	Racy int
}

// Cache is a stat cache over one state folder. It is safe for concurrent
// use.
type Cache struct {
	path   string
	window time.Duration

	mu      sync.Mutex
	loaded  bool
	entries map[string]entry
	dirty   map[string]bool // paths whose entry was added or changed
	stats   Stats

	hashing singleflight.Group
}

// entry is what the cache remembers about one file.
type entry struct {
	Stat   stat   `json:"stat"`
	Digest string `json:"digest"`
}

// stat is the part of a file's stat data that tells whether it changed.
type stat struct {
	Size  int64  `json:"size"`
	Mtime int64  `json:"mtime_ns"`
	Ctime int64  `json:"ctime_ns"`
	Ino   uint64 `json:"ino"`
	Dev   uint64 `json:"dev"`
}

type cacheFile struct {
	Version int              `json:"version"`
	Entries map[string]entry `json:"entries"`
}

// New returns a cache kept in stateDir/statcache.json. Nothing is read or
// created until it is used.
func New(stateDir string, s *Settings) *Cache {
	c := &Cache{path: filepath.Join(stateDir, FileName), window: 2 * time.Second}
	if s != nil && s.RacyWindow > 0 {
		c.window = s.RacyWindow
	}
	return c
}

// Digest returns "sha256:" and the hex SHA-256 of the file at path, and
// its size. The file is read only when its stat data differ from those
// remembered. A folder is an error; a missing file is an error matching
// fs.ErrNotExist. A file that changes while it is being hashed is hashed
// again, once; if it changes again, Digest fails rather than return the
// digest of content that never existed as a whole.
func (c *Cache) Digest(path string) (digest string, size int64, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", 0, fmt.Errorf("filehash: %w", err)
	}
	st, err := statPath(abs)
	if err != nil {
		return "", 0, err
	}
	c.mu.Lock()
	c.load()
	e, ok := c.entries[abs]
	if ok && e.Stat == st {
		c.stats.Hits++
		c.mu.Unlock()
		return e.Digest, st.Size, nil
	}
	c.mu.Unlock()

	v, err, _ := c.hashing.Do(abs, func() (any, error) {
		// Another caller may have hashed the file since we looked.
		c.mu.Lock()
		e, ok := c.entries[abs]
		c.mu.Unlock()
		if ok && e.Stat == st {
			return e, nil
		}
		return c.hash(abs)
	})
	if err != nil {
		return "", 0, err
	}
	e = v.(entry)
	return e.Digest, e.Stat.Size, nil
}

// hash reads the file, remembers its digest unless it is racy, and returns
// the entry.
func (c *Cache) hash(abs string) (entry, error) {
	for attempt := 1; ; attempt++ {
		start := time.Now()
		e, n, changed, err := hashFile(abs)
		if err != nil {
			return entry{}, err
		}
		if changed {
			if attempt < 2 {
				continue
			}
			return entry{}, fmt.Errorf("filehash: %s changed while it was being hashed; run again once it is no longer being written", abs)
		}
		c.mu.Lock()
		c.stats.Hashed++
		c.stats.BytesHashed += n
		if racy(e.Stat, start, c.window) {
			c.stats.Racy++
		} else {
			c.entries[abs] = e
			c.dirty[abs] = true
		}
		c.mu.Unlock()
		return e, nil
	}
}

// racy reports whether a file with stat data st, hashed from start on,
// could be written again without any of st changing.
func racy(st stat, start time.Time, window time.Duration) bool {
	limit := start.Add(-window).UnixNano()
	return st.Mtime >= limit || st.Ctime >= limit
}

// hashFile hashes the file and reports whether its stat data changed while
// it was read.
func hashFile(abs string) (e entry, n int64, changed bool, err error) {
	f, err := os.Open(abs)
	if err != nil {
		return entry{}, 0, false, fmt.Errorf("filehash: %w", err)
	}
	defer f.Close()
	before, err := statFile(f)
	if err != nil {
		return entry{}, 0, false, err
	}
	h := sha256.New()
	buf := make([]byte, 1<<20)
	n, err = io.CopyBuffer(struct{ io.Writer }{h}, struct{ io.Reader }{f}, buf)
	if err != nil {
		return entry{}, 0, false, fmt.Errorf("filehash: reading %s: %w", abs, err)
	}
	after, err := statFile(f)
	if err != nil {
		return entry{}, 0, false, err
	}
	e = entry{Stat: before, Digest: "sha256:" + hex.EncodeToString(h.Sum(nil))}
	return e, n, before != after || n != before.Size, nil
}

// Stats returns what the Digest calls so far cost.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// load reads the cache file the first time it is needed. c.mu is held.
func (c *Cache) load() {
	if c.loaded {
		return
	}
	c.loaded = true
	c.entries = readFile(c.path)
	c.dirty = map[string]bool{}
}

// readFile returns the entries in the cache file at path; none when it is
// missing, unreadable or of another version.
func readFile(path string) map[string]entry {
	b, err := os.ReadFile(path)
	if err != nil {
		return map[string]entry{}
	}
	var f cacheFile
	if json.Unmarshal(b, &f) != nil || f.Version != cacheVersion || f.Entries == nil {
		return map[string]entry{}
	}
	return f.Entries
}

// Save writes what this cache learned to the cache file, merged with what
// other processes saved there meanwhile. It does nothing when nothing was
// learned. The state folder is created when missing.
func (c *Cache) Save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.dirty) == 0 {
		return nil
	}
	merged := readFile(c.path)
	for p := range c.dirty {
		merged[p] = c.entries[p]
	}
	for p := range merged {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			delete(merged, p)
		}
	}
	b, err := json.Marshal(cacheFile{Version: cacheVersion, Entries: merged})
	if err != nil {
		return fmt.Errorf("filehash: %w", err)
	}
	if err := writeAtomic(c.path, b); err != nil {
		return err
	}
	c.entries = merged
	c.dirty = map[string]bool{}
	return nil
}

// writeAtomic replaces the file at path with b through a temporary file in
// the same folder and a rename.
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("filehash: creating state folder: %w", err)
	}
	tmp, err := tempfile.Create(dir, ".json")
	if err != nil {
		return fmt.Errorf("filehash: %w", err)
	}
	// Open, it is ours (see engine/tempfile): close it once renamed.
	defer tmp.Close()
	_, err = tmp.Write(b)
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("filehash: writing %s: %w", path, err)
	}
	return nil
}
