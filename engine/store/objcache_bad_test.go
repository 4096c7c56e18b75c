package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/pipe-ml/pipe/engine/store/gcstest"
)

// TestObjectCacheTruncatedCopy: a copy cut short after it was verified
// (by this process or by another one) maps as what is left of it, fails
// Verify as corrupt, naming the copy, is removed, and is fetched whole by
// the next read.
func TestObjectCacheTruncatedCopy(t *testing.T) {
	for _, newProcess := range []bool{false, true} {
		t.Run(fmt.Sprintf("new process %v", newProcess), func(t *testing.T) {
			srv := gcstest.Start(t)
			ctx := context.Background()
			s := cachedStore(t, srv.URL()+"/truncated", t.TempDir(), 1<<20)
			data := content(35, 3<<20+5)
			a, err := s.PutBytes(ctx, mediaDataset, data)
			if err != nil {
				t.Fatal(err)
			}
			path := s.opts.Cache.Path(a.Digest)
			if err := os.Truncate(path, 1<<20); err != nil {
				t.Fatal(err)
			}
			if newProcess {
				forget(t, s, a.Digest)
			}
			m, err := s.Map(ctx, a.Digest)
			if err != nil {
				t.Fatal(err)
			}
			n := len(m.Bytes())
			err = m.Verify(ctx)
			m.Close()
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Key != path {
				t.Fatalf("Verify of a truncated copy (%d bytes mapped) = %v, want a *CorruptError naming %s", n, err, path)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the truncated copy is still in the cache: %v", err)
			}
			m, err = s.Map(ctx, a.Digest)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if !bytes.Equal(m.Bytes(), data) || m.Verify(ctx) != nil {
				t.Errorf("Map after the copy was removed: %d bytes, %v", len(m.Bytes()), m.Verify(ctx))
			}
		})
	}
}

// makeReadOnly makes dir read-only for this process: a tmpfs mounted
// there, remounted read-only, when the test runs as root (for whom file
// modes are no bar); otherwise its modes. It returns the function that
// does it, or skips the test.
func makeReadOnly(t *testing.T, dir string) func() {
	if os.Geteuid() != 0 {
		return func() {
			_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && d.IsDir() {
					os.Chmod(p, 0o555)
					t.Cleanup(func() { os.Chmod(p, 0o755) })
				}
				return nil
			})
		}
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=32m"); err != nil {
		t.Skipf("root, but cannot mount a tmpfs (%v): cannot make a folder read-only", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return func() {
		if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT|syscall.MS_RDONLY, "size=32m"); err != nil {
			t.Fatalf("remounting %s read-only: %v", dir, err)
		}
	}
}

// TestObjectCacheReadOnly: a cache folder pipe may not write is refused
// by OpenObjectCache, naming it and PIPE_CACHE_DIR (the workspace then
// goes without a cache, see engine/workspace); one that turns read-only
// under an open cache still serves the copies it holds, without a
// download, and passes other reads to the store.
func TestObjectCacheReadOnly(t *testing.T) {
	dir := t.TempDir()
	readOnly := makeReadOnly(t, dir)
	srv := gcstest.Start(t)
	proxy := srv.Proxy(t)
	ctx := context.Background()
	url := srv.URL() + "/readonly"
	s := cachedStore(t, url, dir, 1<<20)
	cached := content(36, 2<<20)
	a, err := s.PutBytes(ctx, "", cached)
	if err != nil {
		t.Fatal(err)
	}
	other := content(37, 2<<20)
	b, err := openTestStore(t, url, "").PutBytes(ctx, "", other)
	if err != nil {
		t.Fatal(err)
	}
	readOnly()

	if _, err := OpenObjectCache(dir, 0); err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "PIPE_CACHE_DIR") {
		t.Errorf("OpenObjectCache of a read-only folder = %v, want an error naming it and PIPE_CACHE_DIR", err)
	}
	proxy.Reset()
	forget(t, s, a.Digest)
	m, err := s.Map(ctx, a.Digest)
	if err != nil {
		t.Fatalf("Map of a cached copy in a read-only cache: %v", err)
	}
	if m.Path() != s.opts.Cache.Path(a.Digest) || !bytes.Equal(m.Bytes(), cached) || m.Verify(ctx) != nil {
		t.Errorf("Map of a cached copy in a read-only cache: path %q, %d bytes, %v", m.Path(), len(m.Bytes()), m.Verify(ctx))
	}
	m.Close()
	if d := proxy.Downloads(); len(d) != 0 {
		t.Errorf("a copy in a read-only cache was downloaded again: %+v", d)
	}
	m, err = s.Map(ctx, b.Digest)
	if err != nil {
		t.Fatalf("Map of an object a read-only cache cannot take: %v", err)
	}
	defer m.Close()
	if m.Path() != "" || !bytes.Equal(m.Bytes(), other) || m.Verify(ctx) != nil {
		t.Errorf("Map of an object a read-only cache cannot take: path %q, %d bytes; want the bytes read into memory", m.Path(), len(m.Bytes()))
	}
}

const fillChildEnv = "PIPE_STORE_FILL_CHILD"

// TestObjectCacheConcurrentProcesses: processes that fetch the same
// object into one cache at once each read the whole object, checked; the
// cache ends with one copy and no fill, and a later process maps that
// copy, checks it, and downloads nothing.
func TestObjectCacheConcurrentProcesses(t *testing.T) {
	if arg := os.Getenv(fillChildEnv); arg != "" {
		url, rest, _ := strings.Cut(arg, " ")
		cacheDir, digest, _ := strings.Cut(rest, " ")
		m, err := cachedStore(t, url, cacheDir, 1<<20).Map(context.Background(), digest)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if err := m.Verify(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := digestOf(m.Bytes()); got != digest {
			t.Fatalf("the bytes mapped hash to %s", got)
		}
		fmt.Println("child read", len(m.Bytes()), "bytes")
		return
	}
	srv := gcstest.Start(t)
	proxy := srv.Proxy(t)
	ctx := context.Background()
	url := srv.URL() + "/processes"
	data := content(38, 24<<20)
	a, err := openTestStore(t, url, "").PutBytes(ctx, "", data)
	if err != nil {
		t.Fatal(err)
	}
	cacheDir := t.TempDir()
	const n = 3
	outs := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		cmd := exec.Command(os.Args[0], "-test.run=^TestObjectCacheConcurrentProcesses$", "-test.v")
		cmd.Env = append(os.Environ(), fillChildEnv+"="+url+" "+cacheDir+" "+a.Digest)
		wg.Go(func() { outs[i], errs[i] = cmd.CombinedOutput() })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || !bytes.Contains(outs[i], []byte(fmt.Sprintf("child read %d bytes", len(data)))) {
			t.Errorf("process %d: %v\n%s", i, errs[i], outs[i])
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
	proxy.Reset()
	s := cachedStore(t, url, cacheDir, 1<<20)
	m, err := s.Map(ctx, a.Digest)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.check == nil || m.Verify(ctx) != nil || !bytes.Equal(m.Bytes(), data) {
		t.Errorf("a later process's Map: checked %v, %v", m.check != nil, m.Verify(ctx))
	}
	if d := proxy.Downloads(); len(d) != 0 {
		t.Errorf("a later process downloaded the cached object again: %+v", d)
	}
}
