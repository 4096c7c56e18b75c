package store

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/store/gcstest"
	"github.com/pipe-ml/pipe/engine/store/s3test"
)

// cachedStore opens a store at url with the object cache in cacheDir,
// fetching in chunks of chunk bytes.
func cachedStore(t *testing.T, url, cacheDir string, chunk int64) *Store {
	t.Helper()
	c, err := OpenObjectCache(cacheDir, 0)
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenOptions(context.Background(), url, "", &Options{Retry: testRetry, SpoolDir: t.TempDir(), Cache: c, FetchChunk: chunk, FetchStreams: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestObjectCacheGCS: an object written through a store with a cache is
// in the cache at once (no download to read it back); another machine's
// cache fetches it once, in parallel ranged reads that cover it exactly;
// after that no step, in this process or the next, downloads it again.
func TestObjectCacheGCS(t *testing.T) {
	srv := gcstest.Start(t)
	proxy := srv.Proxy(t)
	ctx := context.Background()
	url := srv.URL() + "/cached"
	writer := cachedStore(t, url, t.TempDir(), 4<<20)
	data := content(31, 40<<20+12345)
	a, err := writer.PutBytes(ctx, mediaDataset, data)
	if err != nil {
		t.Fatal(err)
	}
	proxy.Reset()
	m, err := writer.Map(ctx, a.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if m.Path() != writer.opts.Cache.Path(a.Digest) || m.check != nil {
		t.Errorf("the writer's Map is %q (check %v), want its verified cache copy", m.Path(), m.check != nil)
	}
	m.Close()
	if d := proxy.Downloads(); len(d) != 0 {
		t.Errorf("reading back an object this machine wrote downloaded it: %+v", d)
	}

	// Another machine: its own cache.
	cacheDir := t.TempDir()
	reader := cachedStore(t, url, cacheDir, 4<<20)
	proxy.Reset()
	m, err = reader.Map(ctx, a.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Bytes(), data) || m.Verify(ctx) != nil {
		t.Fatalf("Map after a fetch: %d bytes, %v", len(m.Bytes()), m.Verify(ctx))
	}
	m.Close()
	checkFetched(t, proxy.Downloads(), int64(len(data)), 4<<20)

	// A second step, a second read, a second process: no download.
	proxy.Reset()
	if got, err := reader.ReadAll(ctx, a.Digest); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadAll: %d bytes, %v", len(got), err)
	}
	next := cachedStore(t, url, cacheDir, 4<<20)
	forget(t, next, a.Digest) // as a new process would
	m, err = next.Map(ctx, a.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if m.check == nil {
		t.Errorf("a new process trusted the cache's copy without checking it")
	}
	if err := m.Verify(ctx); err != nil {
		t.Errorf("Verify: %v", err)
	}
	m.Close()
	if d := proxy.Downloads(); len(d) != 0 {
		t.Errorf("reads of a cached object downloaded it again: %+v", d)
	}
}

// checkFetched checks that downloads read an object of size bytes once:
// a stream from its start (the first download), joined or not by ranged
// reads of chunk bytes that cover, each once, the rest of the object from
// where the stream stopped to its end. It returns how many ranged reads
// joined the stream.
func checkFetched(t *testing.T, downloads []gcstest.Request, size, chunk int64) int {
	t.Helper()
	if len(downloads) == 0 {
		t.Fatalf("the object was not downloaded")
	}
	if r := downloads[0].Range; r != "" && r != "bytes=0-" {
		t.Fatalf("the first download reads %q, want a stream from the object's start", r)
	}
	var ranges [][2]int64
	for _, d := range downloads[1:] {
		var lo, hi int64
		if _, err := fmt.Sscanf(d.Range, "bytes=%d-%d", &lo, &hi); err != nil {
			t.Fatalf("download %+v after the first is not a ranged read", d)
		}
		ranges = append(ranges, [2]int64{lo, hi})
	}
	slices.SortFunc(ranges, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	for i, r := range ranges {
		if r[1] != min(r[0]+chunk, size)-1 || i > 0 && r[0] != ranges[i-1][1]+1 || i == len(ranges)-1 && r[1] != size-1 {
			t.Errorf("ranged reads %v: want reads of %d bytes that follow each other to the end of the %d", ranges, chunk, size)
			break
		}
	}
	return len(ranges)
}

// slowObject starts the emulator behind a proxy, stores a 12 MiB object
// under prefix, and has the proxy pass each download on at rate bytes a
// second from then on. It returns the store's URL, the object and its
// digest.
func slowObject(t *testing.T, prefix string, rate int) (*gcstest.Server, *gcstest.Proxy, string, []byte, string) {
	t.Helper()
	srv := gcstest.Start(t)
	proxy := srv.Proxy(t)
	url := srv.URL() + "/" + prefix
	data := content(39, 12<<20+777)
	a, err := openTestStore(t, url, "").PutBytes(context.Background(), "", data)
	if err != nil {
		t.Fatal(err)
	}
	proxy.Reset()
	proxy.Limit(rate)
	return srv, proxy, url, data, a.Digest
}

// TestObjectCacheSlowStream: when one stream from the store is slower
// than this machine writes and hashes what it brings (here a proxy lets
// each download pass 8 MB a second, as one stream from real GCS carries a
// fraction of a node's bandwidth), ranged reads join it at once, each
// chunk read once; the copy is whole and verified.
func TestObjectCacheSlowStream(t *testing.T) {
	_, proxy, url, data, digest := slowObject(t, "slow", 8<<20)
	ctx := context.Background()
	s := cachedStore(t, url, t.TempDir(), 1<<20)
	m, err := s.Map(ctx, digest)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !bytes.Equal(m.Bytes(), data) || m.Verify(ctx) != nil || m.Path() != s.opts.Cache.Path(digest) {
		t.Fatalf("Map after a slow fetch: %d bytes at %q, %v", len(m.Bytes()), m.Path(), m.Verify(ctx))
	}
	ranged := checkFetched(t, proxy.Downloads(), int64(len(data)), 1<<20)
	if ranged == 0 || proxy.MostAtOnce() < 2 {
		t.Errorf("a slow stream was joined by %d ranged reads, %d downloads at most at once; want ranged reads at once", ranged, proxy.MostAtOnce())
	}
}

// TestObjectCacheFetchOutage: the store goes down while a slow fetch
// reads its object in several streams, and comes back: each stream
// resumes within the retry policy where it stopped, and the copy is whole
// and verified.
func TestObjectCacheFetchOutage(t *testing.T) {
	srv, proxy, url, data, digest := slowObject(t, "outage", 4<<20)
	ctx := context.Background()
	c, err := OpenObjectCache(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	patient := Retry{Attempts: 30, Initial: 50 * time.Millisecond, Max: 500 * time.Millisecond}
	s, err := OpenOptions(ctx, url, "", &Options{Retry: patient, SpoolDir: t.TempDir(), Cache: c, FetchChunk: 1 << 20, FetchStreams: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var m *Mapping
	done := make(chan error, 1)
	go func() {
		var err error
		m, err = s.Map(ctx, digest)
		done <- err
	}()
	// Once ranged reads run beside the first stream, cut the store off.
	for deadline := time.Now().Add(time.Minute); proxy.MostAtOnce() < 2 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	srv.Stop()
	time.Sleep(300 * time.Millisecond)
	srv.Restart()
	if err := <-done; err != nil {
		t.Fatalf("Map across an outage: %v", err)
	}
	defer m.Close()
	if !bytes.Equal(m.Bytes(), data) || m.Verify(ctx) != nil {
		t.Fatalf("Map across an outage: %d bytes, %v", len(m.Bytes()), m.Verify(ctx))
	}
	resumed := false
	seen := map[int64]bool{}
	for _, d := range proxy.Downloads()[1:] {
		var lo int64
		if _, err := fmt.Sscanf(d.Range, "bytes=%d-", &lo); err != nil {
			t.Fatalf("download %+v after the first is not a ranged read", d)
		}
		resumed = resumed || lo%(1<<20) != 0 || seen[lo]
		seen[lo] = true
	}
	if !resumed {
		t.Errorf("no stream was resumed: the outage missed the fetch, and the test did not exercise it: %+v", proxy.Downloads())
	}
}

// TestObjectCacheS3: the object cache fetches from a real S3 server as
// from GCS (the same code, through gocloud.dev/blob): in one stream, and
// with ranged reads joining it; each copy is whole and verified, and a
// second read downloads nothing (the server is stopped to show it).
func TestObjectCacheS3(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	url := srv.URL("cached")
	data := content(41, 12<<20+777)
	a, err := openTestStore(t, url, "").PutBytes(ctx, "", data)
	if err != nil {
		t.Fatal(err)
	}
	var stores []*Store
	for _, spread := range []bool{false, true} {
		c, err := OpenObjectCache(t.TempDir(), 0)
		if err != nil {
			t.Fatal(err)
		}
		s, err := OpenOptions(ctx, url, "", &Options{Retry: testRetry, SpoolDir: t.TempDir(), Cache: c, FetchChunk: 1 << 20, FetchStreams: 4, fetchSpread: spread})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		m, err := s.Map(ctx, a.Digest)
		if err != nil {
			t.Fatalf("ranged reads %v: %v", spread, err)
		}
		if m.Path() != c.Path(a.Digest) || !bytes.Equal(m.Bytes(), data) || m.Verify(ctx) != nil {
			t.Errorf("ranged reads %v: Map is %d bytes at %q, %v; want the cache's verified copy", spread, len(m.Bytes()), m.Path(), m.Verify(ctx))
		}
		m.Close()
		stores = append(stores, s)
	}
	srv.Stop()
	for _, s := range stores {
		forget(t, s, a.Digest) // as a new process would
		m, err := s.Map(ctx, a.Digest)
		if err != nil {
			t.Fatalf("Map of a cached object with the server down: %v", err)
		}
		if !bytes.Equal(m.Bytes(), data) || m.Verify(ctx) != nil {
			t.Errorf("Map of a cached object with the server down: %d bytes, %v", len(m.Bytes()), m.Verify(ctx))
		}
		m.Close()
	}
}

// TestObjectCacheCorruptCopy: a copy altered after it was verified is
// refused by Verify, removed, and fetched again by the next read.
func TestObjectCacheCorruptCopy(t *testing.T) {
	srv := gcstest.Start(t)
	proxy := srv.Proxy(t)
	ctx := context.Background()
	s := cachedStore(t, srv.URL()+"/corrupt", t.TempDir(), 1<<20)
	data := content(32, 3<<20)
	a, err := s.PutBytes(ctx, "", data)
	if err != nil {
		t.Fatal(err)
	}
	path := s.opts.Cache.Path(a.Digest)
	bad := bytes.Clone(data)
	bad[777] ^= 0x40
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := s.Map(ctx, a.Digest)
	if err != nil {
		t.Fatal(err)
	}
	err = m.Verify(ctx)
	m.Close()
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.What != "local copy of object" || ce.Key != path {
		t.Fatalf("Verify of an altered copy = %v, want a *CorruptError naming the copy", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the altered copy is still in the cache: %v", err)
	}
	proxy.Reset()
	m, err = s.Map(ctx, a.Digest)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !bytes.Equal(m.Bytes(), data) || m.Verify(ctx) != nil {
		t.Errorf("Map after the copy was removed: %d bytes, %v", len(m.Bytes()), m.Verify(ctx))
	}
	checkFetched(t, proxy.Downloads(), int64(len(data)), 1<<20)
	// A store object that is itself bad never enters the cache.
	key, _ := objectKey(a.Digest)
	if err := s.bucket.WriteAll(ctx, key, bad, nil); err != nil {
		t.Fatal(err)
	}
	s.opts.Cache.remove(a.Digest)
	if _, err := s.Map(ctx, a.Digest); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Map of a corrupt remote object = %v, want ErrCorrupt", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a corrupt download entered the cache")
	}
}

// TestObjectCacheEviction: past its bound the cache drops the least
// recently used copies, never one in use.
func TestObjectCacheEviction(t *testing.T) {
	dir := t.TempDir()
	c, err := OpenObjectCache(dir, 3<<20+1000)
	if err != nil {
		t.Fatal(err)
	}
	put := func(seed uint64) string {
		t.Helper()
		data := content(seed, 1<<20)
		fill, err := c.newFill()
		if err != nil {
			t.Fatal(err)
		}
		defer fill.Close()
		if _, err := fill.Write(data); err != nil {
			t.Fatal(err)
		}
		f, ours, err := c.insert(fill, digestOf(data), int64(len(data)))
		if err != nil || !ours {
			t.Fatalf("insert: %v, %v", ours, err)
		}
		f.Close()
		time.Sleep(20 * time.Millisecond) // distinct times of use
		return digestOf(data)
	}
	has := func(d string) bool {
		_, err := os.Stat(c.Path(d))
		return err == nil
	}
	a, b, cc := put(41), put(42), put(43)
	// a is used again, and b is open (in use) while d comes in: cc, the
	// least recently used that nobody holds, goes.
	if f, ok := c.open(a); ok {
		f.Close()
	}
	time.Sleep(20 * time.Millisecond)
	held, ok := c.open(b)
	if !ok {
		t.Fatal("b is not in the cache")
	}
	d := put(44)
	for name, want := range map[string]bool{"a": true, "b": true, "c": false, "d": true} {
		dg := map[string]string{"a": a, "b": b, "c": cc, "d": d}[name]
		if has(dg) != want {
			t.Errorf("after eviction, copy %s present = %v, want %v", name, has(dg), want)
		}
	}
	// With b still held, another object evicts a (least recent), not b.
	e := put(45)
	if has(a) || !has(b) || !has(e) {
		t.Errorf("a %v b %v e %v: want the held copy kept, the oldest free one gone", has(a), has(b), has(e))
	}
	held.Close()
}

// TestObjectCacheConcurrentFills: several readers (each its own Store,
// as processes would be) fetch the same object at once: all get it, one
// copy stays, no fill is left behind.
func TestObjectCacheConcurrentFills(t *testing.T) {
	srv := gcstest.Start(t)
	ctx := context.Background()
	url := srv.URL() + "/concurrent"
	data := content(33, 12<<20)
	a, err := openTestStore(t, url, "").PutBytes(ctx, "", data)
	if err != nil {
		t.Fatal(err)
	}
	cacheDir := t.TempDir()
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		s := cachedStore(t, url, cacheDir, 1<<20)
		wg.Go(func() {
			m, err := s.Map(ctx, a.Digest)
			if err != nil {
				errs[i] = err
				return
			}
			defer m.Close()
			if err := m.Verify(ctx); err != nil {
				errs[i] = err
			} else if !bytes.Equal(m.Bytes(), data) {
				errs[i] = errors.New("wrong bytes")
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("reader %d: %v", i, err)
		}
	}
	left, _ := os.ReadDir(filepath.Join(cacheDir, "tmp"))
	if len(left) != 0 {
		t.Errorf("fills left in the cache: %v", left)
	}
	copies, total := (&ObjectCache{dir: cacheDir}).list()
	if len(copies) != 1 || total != int64(len(data)) {
		t.Errorf("cache holds %d copies, %d bytes; want one of %d", len(copies), total, len(data))
	}
}

// TestObjectCacheUnusable: a cache folder that cannot be created is a
// clear error; one that stops taking files passes reads and writes to the
// store.
func TestObjectCacheUnusable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenObjectCache(filepath.Join(file, "cache"), 0); err == nil || !strings.Contains(err.Error(), "PIPE_CACHE_DIR") {
		t.Errorf("OpenObjectCache under a file = %v, want an error saying to set PIPE_CACHE_DIR", err)
	}

	srv := gcstest.Start(t)
	ctx := context.Background()
	cacheDir := t.TempDir()
	s := cachedStore(t, srv.URL()+"/unusable", cacheDir, 1<<20)
	// The fills' folder becomes a file: no fill can be made.
	if err := os.RemoveAll(filepath.Join(cacheDir, "tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cacheDir, "tmp"), nil, 0o444); err != nil {
		t.Fatal(err)
	}
	data := content(34, 3<<20)
	a, err := s.PutBytes(ctx, "", data)
	if err != nil {
		t.Fatalf("PutBytes with an unusable cache: %v", err)
	}
	m, err := s.Map(ctx, a.Digest)
	if err != nil {
		t.Fatalf("Map with an unusable cache: %v", err)
	}
	defer m.Close()
	if m.Path() != "" || !bytes.Equal(m.Bytes(), data) || m.Verify(ctx) != nil {
		t.Errorf("Map with an unusable cache: path %q, %d bytes; want the bytes read into memory", m.Path(), len(m.Bytes()))
	}
}

// TestObjectCacheFull: on a full disk, a fill evicts the copies nobody
// uses and tries again. It mounts a small tmpfs, so it runs only as root.
func TestObjectCacheFull(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=8m"); err != nil {
		t.Skipf("cannot mount a small tmpfs (%v); run as root to test a full cache folder", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	srv := gcstest.Start(t)
	ctx := context.Background()
	url := srv.URL() + "/full"
	w := openTestStore(t, url, "")
	var digests []string
	for seed := range uint64(3) {
		a, err := w.PutBytes(ctx, "", content(50+seed, 3<<20))
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, a.Digest)
	}
	s := cachedStore(t, url, dir, 1<<20)
	for _, d := range digests {
		m, err := s.Map(ctx, d)
		if err != nil {
			t.Fatalf("Map on a full cache folder: %v", err)
		}
		if m.Path() == "" || m.Verify(ctx) != nil {
			t.Errorf("Map of %s: path %q, %v; want a checked copy in the cache", d, m.Path(), m.Verify(ctx))
		}
		m.Close()
	}
	if _, err := os.Stat(s.opts.Cache.Path(digests[0])); err == nil {
		t.Errorf("the first copy was not evicted to make room")
	}
}

const orphanChildEnv = "PIPE_STORE_ORPHAN_CHILD"

// TestOrphanTemps: a named temporary file whose process was killed is
// removed by the next CleanTemps, whatever its age; one whose process
// lives is left alone.
func TestOrphanTemps(t *testing.T) {
	if dir := os.Getenv(orphanChildEnv); dir != "" {
		unnamedTemps = false
		f, err := createTemp(dir)
		if err != nil {
			panic(err)
		}
		f.Write([]byte("half an object"))
		os.Stdout.WriteString("created\n")
		time.Sleep(time.Minute)
		return
	}
	storeDir := t.TempDir()
	s := openTestStore(t, storeDir, "")
	objDir := filepath.Join(storeDir, "objects", "sha256")
	if err := os.MkdirAll(objDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestOrphanTemps$")
	cmd.Env = append(os.Environ(), orphanChildEnv+"="+objDir)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := io.ReadAll(io.LimitReader(out, 8))
	if string(line) != "created\n" {
		cmd.Process.Kill()
		t.Fatalf("child: %q", line)
	}
	unnamedTemps = false
	defer func() { unnamedTemps = true }()
	mine, err := createTemp(objDir)
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	// The child is alive: nothing is removed.
	if n, err := s.CleanTemps(context.Background(), time.Hour); n != 0 || err != nil {
		t.Errorf("CleanTemps with both owners alive = %d, %v", n, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if n, err := s.CleanTemps(context.Background(), time.Hour); n != 1 || err != nil {
		t.Errorf("CleanTemps after the kill = %d, %v; want 1", n, err)
	}
	if _, err := os.Stat(mine.name); err != nil {
		t.Errorf("CleanTemps removed a live temporary file: %v", err)
	}
}
