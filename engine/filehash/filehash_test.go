package filehash

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/tempfile"
)

// quick makes every file old enough to be remembered as soon as it has
// been written: the tests set times explicitly where it matters.
var quick = &Settings{RacyWindow: time.Nanosecond}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// writeOld writes a file and sets its mtime an hour into the past.
func writeOld(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

func mtime(t *testing.T, path string) time.Time {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.ModTime()
}

func digest(t *testing.T, c *Cache, path string) string {
	t.Helper()
	d, _, err := c.Digest(path)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDigestAndCache(t *testing.T) {
	state, data := t.TempDir(), t.TempDir()
	p := filepath.Join(data, "a.csv")
	content := []byte("label,emb_0\nprivate,0.5\n")
	writeOld(t, p, content)

	c := New(state, quick)
	d, size, err := c.Digest(p)
	if err != nil || d != sha(content) || size != int64(len(content)) {
		t.Fatalf("Digest = %s, %d, %v; want %s, %d", d, size, err, sha(content), len(content))
	}
	if got := digest(t, c, p); got != d {
		t.Fatalf("second Digest = %s", got)
	}
	if st := c.Stats(); st.Hashed != 1 || st.Hits != 1 || st.BytesHashed != int64(len(content)) {
		t.Errorf("Stats = %+v, want 1 hashed, 1 hit", st)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}

	// A new process reads the cache file and does not read the file.
	c2 := New(state, quick)
	if got := digest(t, c2, p); got != d {
		t.Fatalf("Digest from the saved cache = %s", got)
	}
	// A relative path names the same file.
	wd, _ := os.Getwd()
	rel, err := filepath.Rel(wd, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := digest(t, c2, rel); got != d {
		t.Fatalf("Digest(%s) = %s", rel, got)
	}
	if st := c2.Stats(); st.Hashed != 0 || st.Hits != 2 {
		t.Errorf("Stats after reload = %+v, want 0 hashed, 2 hits", st)
	}
}

// TestChangesRehash changes one stat field at a time; each must make
// Digest read the file again.
func TestChangesRehash(t *testing.T) {
	state, data := t.TempDir(), t.TempDir()
	p := filepath.Join(data, "x.bin")
	writeOld(t, p, []byte("aaaa"))
	c := New(state, quick)
	digest(t, c, p)

	steps := []struct {
		name   string
		change func()
		want   []byte
	}{
		{"touch: mtime only", func() {
			m := mtime(t, p).Add(time.Second)
			if err := os.Chtimes(p, m, m); err != nil {
				t.Fatal(err)
			}
		}, []byte("aaaa")},
		{"same size, mtime restored: ctime", func() {
			m := mtime(t, p)
			if err := os.WriteFile(p, []byte("bbbb"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, m, m); err != nil {
				t.Fatal(err)
			}
		}, []byte("bbbb")},
		{"replaced by rename: inode", func() {
			m := mtime(t, p)
			tmp := p + ".new"
			writeOld(t, tmp, []byte("cccc"))
			if err := os.Chtimes(tmp, m, m); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, p); err != nil {
				t.Fatal(err)
			}
		}, []byte("cccc")},
		{"size", func() { writeOld(t, p, []byte("ccccc")) }, []byte("ccccc")},
		{"chmod: ctime, same content", func() {
			if err := os.Chmod(p, 0o600); err != nil {
				t.Fatal(err)
			}
		}, []byte("ccccc")},
	}
	for i, s := range steps {
		s.change()
		before := c.Stats().Hashed
		if got := digest(t, c, p); got != sha(s.want) {
			t.Errorf("%s: Digest = %s, want %s", s.name, got, sha(s.want))
		}
		if c.Stats().Hashed != before+1 {
			t.Errorf("step %d (%s): file not hashed again", i, s.name)
		}
		// And unchanged again, it is a hit.
		before = c.Stats().Hashed
		digest(t, c, p)
		if c.Stats().Hashed != before {
			t.Errorf("%s: unchanged file hashed again", s.name)
		}
	}
}

// TestRacyFileNotTrusted: a file hashed right after it was written is not
// remembered, so that a second write within the same time stamp tick,
// which keeps size and mtime, is still seen.
func TestRacyFileNotTrusted(t *testing.T) {
	state, data := t.TempDir(), t.TempDir()
	p := filepath.Join(data, "fresh.csv")
	if err := os.WriteFile(p, []byte("v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := New(state, nil) // default window of 2 s
	if got := digest(t, c, p); got != sha([]byte("v1")) {
		t.Fatal(got)
	}
	if st := c.Stats(); st.Racy != 1 {
		t.Errorf("Stats = %+v, want the fresh file counted as racy", st)
	}
	// Same size, and the mtime put back: only a rehash can see this.
	m := mtime(t, p)
	if err := os.WriteFile(p, []byte("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, m, m); err != nil {
		t.Fatal(err)
	}
	if got := digest(t, c, p); got != sha([]byte("v2")) {
		t.Errorf("Digest after a racy rewrite = %s, want the new content's", got)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(state, FileName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a cache with only racy files was saved: %v", err)
	}
}

func TestErrors(t *testing.T) {
	state, data := t.TempDir(), t.TempDir()
	c := New(state, quick)
	if _, _, err := c.Digest(filepath.Join(data, "missing.csv")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Digest(missing) = %v, want fs.ErrNotExist", err)
	}
	if _, _, err := c.Digest(data); err == nil {
		t.Errorf("Digest(folder) succeeded")
	}
}

func TestBadCacheFileIgnored(t *testing.T) {
	state, data := t.TempDir(), t.TempDir()
	p := filepath.Join(data, "a")
	writeOld(t, p, []byte("a"))
	for _, bad := range []string{"", "{", `{"version":99,"entries":{}}`, `[]`} {
		if err := os.WriteFile(filepath.Join(state, FileName), []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		c := New(state, quick)
		if got := digest(t, c, p); got != sha([]byte("a")) {
			t.Errorf("with cache file %q: Digest = %s", bad, got)
		}
		if err := c.Save(); err != nil {
			t.Errorf("Save over cache file %q: %v", bad, err)
		}
	}
}

// TestSaveMerges: two caches (two processes) on one state folder learn
// different files and save one after the other; nothing is lost, and
// entries of deleted files are dropped.
func TestSaveMerges(t *testing.T) {
	state, data := t.TempDir(), t.TempDir()
	a, b, gone := filepath.Join(data, "a"), filepath.Join(data, "b"), filepath.Join(data, "gone")
	for _, p := range []string{a, b, gone} {
		writeOld(t, p, []byte(p))
	}
	c1, c2 := New(state, quick), New(state, quick)
	digest(t, c1, a)
	digest(t, c1, gone)
	digest(t, c2, b)
	if err := c1.Save(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	if err := c2.Save(); err != nil {
		t.Fatal(err)
	}
	f := readFile(filepath.Join(state, FileName))
	if _, ok := f[a]; !ok {
		t.Errorf("entry of a lost in the merge")
	}
	if _, ok := f[b]; !ok {
		t.Errorf("entry of b missing")
	}
	if _, ok := f[gone]; ok {
		t.Errorf("entry of a deleted file kept")
	}
	c3 := New(state, quick)
	digest(t, c3, a)
	digest(t, c3, b)
	if st := c3.Stats(); st.Hashed != 0 {
		t.Errorf("after the merge, %d files hashed again", st.Hashed)
	}
	leftovers, _ := filepath.Glob(filepath.Join(state, tempfile.Prefix+"*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left in the state folder: %q", leftovers)
	}
}

// TestConcurrentDigest: many goroutines asking for the same files hash each
// one once.
func TestConcurrentDigest(t *testing.T) {
	state, data := t.TempDir(), t.TempDir()
	var paths []string
	for i := range 4 {
		p := filepath.Join(data, fmt.Sprint(i))
		writeOld(t, p, make([]byte, 1<<20+i))
		paths = append(paths, p)
	}
	c := New(state, quick)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for _, p := range paths {
				if _, _, err := c.Digest(p); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if st := c.Stats(); st.Hashed != len(paths) || st.Hits+st.Hashed < len(paths) {
		t.Errorf("Stats = %+v, want each of %d files hashed once", st, len(paths))
	}
}
