package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/pipe-ml/pipe/engine/store/gcstest"
	"github.com/pipe-ml/pipe/engine/tempfile"
	"github.com/pipe-ml/pipe/steps"
)

// testRetry keeps fault tests quick: three attempts, pauses of at most
// 50 ms.
var testRetry = Retry{Attempts: 3, Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond}

// backend opens a fresh, empty store for one conformance case.
type backend struct {
	name string
	// open returns a new store; name is unique within the backend.
	open func(t *testing.T, name string) *Store
	// emulator is the GCS emulator behind the gs backend, nil otherwise.
	emulator *gcstest.Server
	// cached says the stores have an object cache.
	cached bool
}

func openTestStore(t *testing.T, url, baseDir string) *Store {
	t.Helper()
	s, err := OpenOptions(context.Background(), url, baseDir, &Options{Retry: testRetry, SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatalf("OpenOptions(%q): %v", url, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func memBackend() *backend {
	return &backend{name: "mem", open: func(t *testing.T, _ string) *Store {
		return openTestStore(t, "mem://", "")
	}}
}

func fileBackend() *backend {
	return &backend{name: "file", open: func(t *testing.T, _ string) *Store {
		return openTestStore(t, "file://.pipe/store", t.TempDir())
	}}
}

// gcsBackend starts the emulator; each case gets its own prefix in its
// bucket, which also exercises gs://BUCKET/PREFIX.
func gcsBackend(t *testing.T) *backend {
	srv := gcstest.Start(t)
	return &backend{name: "gs", emulator: srv, open: func(t *testing.T, name string) *Store {
		return openTestStore(t, srv.URL()+"/"+name+"/store", "")
	}}
}

// conformance is the behaviour every backend must show.
var conformance = []struct {
	name string
	run  func(t *testing.T, b *backend, s *Store)
}{
	{"RoundTrip", testRoundTrip},
	{"IdempotentPut", testIdempotentPut},
	{"ConcurrentPuts", testConcurrentPuts},
	{"CorruptObject", testCorruptObject},
	{"WrongSizeObjectRewritten", testWrongSizeObjectRewritten},
	{"CorruptEntry", testCorruptEntry},
	{"SignedEntry", testSignedEntry},
	{"FailedPutLeavesNothing", testFailedPutLeavesNothing},
	{"AbortedWriteLeavesNothing", testAbortedWriteLeavesNothing},
	{"LargeObject", testLargeObject},
	{"NotFound", testNotFound},
	{"Refs", testRefs},
	{"InvalidNames", testInvalidNames},
	{"Ping", testPing},
	{"Map", testMap},
	{"MapCorrupt", testMapCorrupt},
}

// gcsCachedBackend is gcsBackend with an object cache for each store.
func gcsCachedBackend(t *testing.T) *backend {
	srv := gcstest.Start(t)
	return &backend{name: "gs+cache", emulator: srv, cached: true, open: func(t *testing.T, name string) *Store {
		c, err := OpenObjectCache(t.TempDir(), 0)
		if err != nil {
			t.Fatal(err)
		}
		s, err := OpenOptions(context.Background(), srv.URL()+"/"+name+"/store", "", &Options{Retry: testRetry, SpoolDir: t.TempDir(), Cache: c})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}}
}

// dropCopy removes the object cache's copy of digest, if the store has a
// cache, so that the next read goes to the store.
func dropCopy(s *Store, digest string) {
	if s.opts.Cache != nil {
		s.opts.Cache.remove(digest)
	}
}

func runConformance(t *testing.T, b *backend) {
	for _, c := range conformance {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, b, b.open(t, c.name))
		})
	}
}

func TestConformanceMem(t *testing.T)  { runConformance(t, memBackend()) }
func TestConformanceFile(t *testing.T) { runConformance(t, fileBackend()) }
func TestConformanceGCS(t *testing.T)  { runConformance(t, gcsBackend(t)) }
func TestConformanceGCSCached(t *testing.T) {
	runConformance(t, gcsCachedBackend(t))
}

// content returns n bytes of seeded pseudo-random data.
func content(seed uint64, n int) []byte {
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// objectKeys lists the keys under objects/ the way any reader of the store
// would see them: temporary files are not objects.
func objectKeys(t *testing.T, s *Store) []string {
	t.Helper()
	var keys []string
	it := s.bucket.List(&blob.ListOptions{Prefix: objectsPrefix})
	for {
		obj, err := it.Next(context.Background())
		if err == io.EOF {
			return keys
		}
		if err != nil {
			t.Fatalf("listing objects: %v", err)
		}
		if !isTempName(filepath.Base(obj.Key)) {
			keys = append(keys, obj.Key)
		}
	}
}

func testRoundTrip(t *testing.T, b *backend, s *Store) {
	ctx := context.Background()
	data := content(1, 300_000)
	a, err := s.Put(ctx, mediaModel, func(w io.Writer) error {
		// Many small writes, as an encoder makes them.
		for i := 0; i < len(data); i += 1000 {
			if _, err := w.Write(data[i:min(i+1000, len(data))]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	want := steps.Artifact{Digest: digestOf(data), MediaType: mediaModel, Size: int64(len(data))}
	if a != want {
		t.Fatalf("Put = %v, want %v", a, want)
	}
	got, err := s.ReadAll(ctx, a.Digest)
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("ReadAll returned %d bytes that differ from the %d put", len(got), len(data))
	}
	r, err := s.Open(ctx, a.Digest)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if r.Size() != a.Size {
		t.Errorf("Reader.Size = %d, want %d", r.Size(), a.Size)
	}
	// Reading in odd-sized pieces ends in io.EOF after the last byte.
	var buf bytes.Buffer
	p := make([]byte, 4093)
	for {
		n, err := r.Read(p)
		buf.Write(p[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
	}
	r.Close()
	if !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("Read returned different bytes")
	}
	if size, err := s.Stat(ctx, a.Digest); err != nil || size != a.Size {
		t.Errorf("Stat = %d, %v; want %d, nil", size, err, a.Size)
	}
	if ok, err := s.Has(ctx, a.Digest); !ok || err != nil {
		t.Errorf("Has = %v, %v; want true, nil", ok, err)
	}
	hexd := strings.TrimPrefix(a.Digest, "sha256:")
	if uri := s.URI(a.Digest); !strings.HasSuffix(uri, "/objects/sha256/"+hexd[:2]+"/"+hexd[2:]) {
		t.Errorf("URI = %q, want it to end in objects/sha256/%s/%s", uri, hexd[:2], hexd[2:])
	}
	if keys := objectKeys(t, s); len(keys) != 1 {
		t.Errorf("objects after one Put: %q, want one", keys)
	}
	if b.emulator != nil {
		// gs://BUCKET/PREFIX keeps the store under PREFIX.
		raw, err := blob.OpenBucket(ctx, b.emulator.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		key := strings.TrimPrefix(s.URI(a.Digest), b.emulator.URL()+"/")
		if !strings.HasPrefix(key, "RoundTrip/store/objects/") {
			t.Errorf("URI %s is not under the store's prefix", s.URI(a.Digest))
		}
		if ok, err := raw.Exists(ctx, key); !ok || err != nil {
			t.Errorf("object %s not in the bucket: %v", key, err)
		}
	}
}

func testIdempotentPut(t *testing.T, _ *backend, s *Store) {
	ctx := context.Background()
	data := []byte(`{"coef":[1,2,3]}`)
	a1, err := s.PutBytes(ctx, mediaModel, data)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := s.Put(ctx, mediaModel, func(w io.Writer) error { _, err := w.Write(data); return err })
	if err != nil {
		t.Fatal(err)
	}
	if a1 != a2 {
		t.Errorf("second Put = %v, want %v", a2, a1)
	}
	if keys := objectKeys(t, s); len(keys) != 1 {
		t.Errorf("objects after two Puts of the same bytes: %q, want one", keys)
	}
	// The empty object is an object too.
	e, err := s.PutBytes(ctx, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.ReadAll(ctx, e.Digest); err != nil || len(got) != 0 {
		t.Errorf("ReadAll(empty) = %q, %v", got, err)
	}
}

func testConcurrentPuts(t *testing.T, _ *backend, s *Store) {
	ctx := context.Background()
	data := content(2, 1<<20)
	const n = 8
	arts := make([]steps.Artifact, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			arts[i], errs[i] = s.Put(ctx, mediaDataset, func(w io.Writer) error {
				_, err := w.Write(data)
				return err
			})
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Put %d: %v", i, errs[i])
		}
		if arts[i].Digest != digestOf(data) {
			t.Fatalf("Put %d = %v", i, arts[i])
		}
	}
	got, err := s.ReadAll(ctx, arts[0].Digest)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadAll after concurrent Puts: %d bytes, %v", len(got), err)
	}
	if keys := objectKeys(t, s); len(keys) != 1 {
		t.Errorf("objects: %q, want one", keys)
	}
}

// testCorruptObject overwrites an object with other bytes of the same size,
// behind the store's back: a read must fail with ErrCorrupt at the end,
// never hand the bytes over as good, and the next Put must repair it.
func testCorruptObject(t *testing.T, _ *backend, s *Store) {
	ctx := context.Background()
	data := content(3, 100_000)
	a, err := s.PutBytes(ctx, mediaDataset, data)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := objectKey(a.Digest)
	bad := bytes.Clone(data)
	bad[len(bad)/2] ^= 0xff
	if err := s.bucket.WriteAll(ctx, key, bad, nil); err != nil {
		t.Fatal(err)
	}
	dropCopy(s, a.Digest)
	_, err = s.ReadAll(ctx, a.Digest)
	var ce *CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("ReadAll of a corrupt object: %v; want a *CorruptError matching ErrCorrupt and ErrNotFound", err)
	}
	if ce.Key != key || ce.What != "object" || !strings.Contains(err.Error(), "treating as a miss") {
		t.Errorf("CorruptError = %+v (%v)", ce, err)
	}
	if !strings.HasPrefix(ce.Quarantine, quarantinePrefix) {
		t.Errorf("corrupt object was not quarantined: %+v", ce)
	} else if q, err := s.bucket.ReadAll(ctx, ce.Quarantine); err != nil || !bytes.Equal(q, bad) {
		t.Errorf("quarantined copy: %d bytes, %v", len(q), err)
	}
	if ok, err := s.Has(ctx, a.Digest); ok || err != nil {
		t.Errorf("Has after the corrupt read = %v, %v; want false, nil", ok, err)
	}
	if _, err := s.PutBytes(ctx, mediaDataset, data); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ReadAll(ctx, a.Digest); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadAll after repair: %d bytes, %v", len(got), err)
	}
}

// testWrongSizeObjectRewritten: an object cut short (a torn write on a
// file system that lost power) is rewritten by the next Put, which checks
// sizes, without anyone reading it first.
func testWrongSizeObjectRewritten(t *testing.T, _ *backend, s *Store) {
	ctx := context.Background()
	data := content(4, 10_000)
	a, err := s.PutBytes(ctx, "", data)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := objectKey(a.Digest)
	if err := s.bucket.WriteAll(ctx, key, data[:100], nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutBytes(ctx, "", data); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ReadAll(ctx, a.Digest); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadAll: %d bytes, %v", len(got), err)
	}
}

func testCorruptEntry(t *testing.T, _ *backend, s *Store) {
	ctx := context.Background()
	key := strings.Repeat("ab", 32)
	payload := []byte(`{"outputs":{"model":"sha256:00"},"note":"<&>"}`)
	if err := s.PutEntry(ctx, key, payload); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetEntry(ctx, key)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("GetEntry = %q, %v; want %q", got, err, payload)
	}
	entryKey := "cache/" + key + ".json"
	sealed, err := s.bucket.ReadAll(ctx, entryKey)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		bytes  []byte
		reason string
	}{
		{"truncated", sealed[:len(sealed)/2], "not a complete JSON envelope"},
		{"empty", nil, "not a complete JSON envelope"},
		{"payload edited", bytes.Replace(sealed, []byte(`"sha256:00"`), []byte(`"sha256:01"`), 1), "checksum mismatch"},
		{"not an envelope", []byte(`{"outputs":{}}`), "unknown envelope format"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := s.bucket.WriteAll(ctx, entryKey, c.bytes, nil); err != nil {
				t.Fatal(err)
			}
			_, err := s.GetEntry(ctx, key)
			var ce *CorruptError
			if !errors.As(err, &ce) || !errors.Is(err, ErrNotFound) {
				t.Fatalf("GetEntry = %v; want a *CorruptError matching ErrNotFound", err)
			}
			want := "store: cache entry " + entryKey + " is corrupt (" + c.reason
			if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "treating as a miss") {
				t.Errorf("error = %q, want %q...; treating as a miss", err, want)
			}
		})
	}
	// Writing the entry again repairs it.
	if err := s.PutEntry(ctx, key, payload); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetEntry(ctx, key); err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("GetEntry after rewrite = %q, %v", got, err)
	}
}

// testFailedPutLeavesNothing: a write callback that fails, or a context
// cancelled while writing, leaves no object behind.
func testFailedPutLeavesNothing(t *testing.T, _ *backend, s *Store) {
	ctx := context.Background()
	boom := errors.New("encoder failed")
	_, err := s.Put(ctx, "", func(w io.Writer) error {
		if _, err := w.Write(content(5, 3<<20)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("Put with a failing write = %v, want %v", err, boom)
	}
	cctx, cancel := context.WithCancel(ctx)
	_, err = s.Put(cctx, "", func(w io.Writer) error {
		_, err := w.Write(content(6, 1<<20))
		cancel()
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a cancelled context = %v, want context.Canceled", err)
	}
	if keys := objectKeys(t, s); len(keys) != 0 {
		t.Errorf("objects after failed Puts: %q, want none", keys)
	}
}

// failingReader yields n bytes, then fails.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// testAbortedWriteLeavesNothing checks the backend's writer, under the
// store's own write path: an upload that fails part way, after more than
// one 16 MiB chunk of a GCS resumable upload, publishes nothing.
func testAbortedWriteLeavesNothing(t *testing.T, _ *backend, s *Store) {
	ctx := context.Background()
	n := 20 << 20
	data := content(7, n)
	key, _ := objectKey(digestOf(data))
	boom := errors.New("spool read failed")
	err := s.writeBlob(ctx, key, "", &failingReader{data: data[:n-1000], err: boom}, int64(n))
	if !errors.Is(err, boom) {
		t.Fatalf("writeBlob = %v, want %v", err, boom)
	}
	if ok, err := s.bucket.Exists(ctx, key); ok || err != nil {
		t.Errorf("after an aborted write, Exists = %v, %v; want false, nil", ok, err)
	}
	// A reader that ends early (a short spool) is caught too.
	err = s.writeBlob(ctx, key, "", bytes.NewReader(data[:1000]), int64(n))
	if err == nil || !strings.Contains(err.Error(), "copied 1000 bytes") {
		t.Errorf("writeBlob with a short reader = %v", err)
	}
	if keys := objectKeys(t, s); len(keys) != 0 {
		t.Errorf("objects after aborted writes: %q, want none", keys)
	}
	if s.loc.Scheme == "file" {
		// The writer removed its temporary file too.
		var left []string
		_ = filepath.WalkDir(filepath.Join(s.loc.Dir, "objects"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				left = append(left, p)
			}
			return nil
		})
		if len(left) != 0 {
			t.Errorf("files left after aborted writes: %q", left)
		}
	}
}

func testLargeObject(t *testing.T, _ *backend, s *Store) {
	ctx := context.Background()
	n := 64 << 20
	if testing.Short() {
		n = 20 << 20 // still more than one GCS upload chunk
	}
	const block = 1 << 20
	b := content(8, block)
	h := sha256.New()
	a, err := s.Put(ctx, mediaDataset, func(w io.Writer) error {
		for i := 0; i < n/block; i++ {
			b[0], b[1] = byte(i), byte(i>>8) // no two blocks alike
			h.Write(b)
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if a.Digest != want || a.Size != int64(n) {
		t.Fatalf("Put = %v, want %s, %d bytes", a, want, n)
	}
	r, err := s.Open(ctx, a.Digest)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.Copy(io.Discard, r)
	if err != nil || got != int64(n) {
		t.Fatalf("reading back: %d bytes, %v", got, err)
	}
}

func testNotFound(t *testing.T, _ *backend, s *Store) {
	ctx := context.Background()
	d := digestOf([]byte("never stored"))
	if _, err := s.Open(ctx, d); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) {
		t.Errorf("Open(missing) = %v, want ErrNotFound", err)
	} else {
		var oe *OpError
		if !errors.As(err, &oe) || oe.Attempts != 1 {
			t.Errorf("Open(missing) = %#v; want an *OpError after one attempt (NotFound is never retried)", err)
		}
	}
	if _, err := s.ReadAll(ctx, d); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadAll(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(ctx, d); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stat(missing) = %v, want ErrNotFound", err)
	}
	if ok, err := s.Has(ctx, d); ok || err != nil {
		t.Errorf("Has(missing) = %v, %v", ok, err)
	}
	if _, err := s.GetEntry(ctx, strings.Repeat("0", 64)); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) {
		t.Errorf("GetEntry(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.GetRef(ctx, "p/load.corpus"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetRef(missing) = %v, want ErrNotFound", err)
	}
}

func testRefs(t *testing.T, _ *backend, s *Store) {
	ctx := context.Background()
	for i, v := range []string{`{"key":"1"}`, `{"key":"2"}`} {
		if err := s.PutRef(ctx, "privacy-intent/train.model", []byte(v)); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetRef(ctx, "privacy-intent/train.model")
		if err != nil || string(got) != v {
			t.Fatalf("GetRef after put %d = %q, %v; want %q", i, got, err, v)
		}
	}
	if err := s.PutRef(ctx, "privacy-intent/load.corpus", []byte(`"x"`)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRef(ctx, "other/load.corpus", []byte(`"y"`)); err != nil {
		t.Fatal(err)
	}
	names, err := s.ListRefs(ctx, "privacy-intent/")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"privacy-intent/load.corpus", "privacy-intent/train.model"}; fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("ListRefs = %q, want %q", names, want)
	}
	if err := s.DeleteRef(ctx, "other/load.corpus"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRef(ctx, "other/load.corpus"); err != nil {
		t.Errorf("deleting a missing ref: %v", err)
	}
	if _, err := s.GetRef(ctx, "other/load.corpus"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetRef after delete = %v", err)
	}
	if err := s.PutRef(ctx, "x", []byte("not json")); err == nil {
		t.Errorf("PutRef with a payload that is not JSON succeeded")
	}
}

func testInvalidNames(t *testing.T, _ *backend, s *Store) {
	ctx := context.Background()
	for _, d := range []string{"", "sha256:", "sha256:" + strings.Repeat("A", 64), "md5:" + strings.Repeat("0", 64), "sha256:../" + strings.Repeat("0", 61)} {
		if _, err := s.Open(ctx, d); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q) = %v, want an invalid digest error", d, err)
		}
	}
	for _, k := range []string{"", "abc", strings.Repeat("0", 63) + "/", strings.Repeat("G", 64)} {
		if _, err := s.GetEntry(ctx, k); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("GetEntry(%q) = %v, want an invalid key error", k, err)
		}
		if err := s.PutEntry(ctx, k, []byte("{}")); err == nil {
			t.Errorf("PutEntry(%q) succeeded", k)
		}
	}
	for _, n := range []string{"", "/a", "a/", "a//b", "a/../b", "a b", "ä"} {
		if err := s.PutRef(ctx, n, []byte("{}")); err == nil {
			t.Errorf("PutRef(%q) succeeded", n)
		}
	}
}

func testPing(t *testing.T, _ *backend, s *Store) {
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// TestGCSFaults stops the emulator in the middle of a session: operations
// fail after the configured number of attempts with an error that names
// the store, the operation and the cause; once the emulator is back the
// same Store works again and the data is still there.
func TestGCSFaults(t *testing.T) {
	srv := gcstest.Start(t)
	s := openTestStore(t, srv.URL()+"/faults", "")
	ctx := context.Background()
	key := strings.Repeat("cd", 32)
	if err := s.PutEntry(ctx, key, []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	a, err := s.PutBytes(ctx, "", []byte("kept across the outage"))
	if err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	_, err = s.PutBytes(ctx, "", []byte("written during the outage"))
	var oe *OpError
	if !errors.As(err, &oe) || oe.Attempts != testRetry.Attempts {
		t.Fatalf("PutBytes while the store is down = %v; want an *OpError after %d attempts", err, testRetry.Attempts)
	}
	msg := err.Error()
	for _, want := range []string{"store: gs://pipe-test/faults: ", "connection refused", fmt.Sprintf("(gave up after %d attempts)", testRetry.Attempts)} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if _, err := s.GetEntry(ctx, key); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("GetEntry while the store is down = %v; want an error that is not a miss", err)
	}
	if _, err := s.ReadAll(ctx, a.Digest); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("ReadAll while the store is down = %v; want an error that is not a miss", err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Errorf("Ping while the store is down succeeded")
	}
	// A cancelled context stops the retries at once.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.GetEntry(cctx, key); !errors.As(err, &oe) || oe.Attempts != 1 {
		t.Errorf("GetEntry with a cancelled context = %v; want one attempt", err)
	}

	srv.Restart()
	if got, err := s.GetEntry(ctx, key); err != nil || string(got) != `{"n":1}` {
		t.Fatalf("GetEntry after restart = %q, %v", got, err)
	}
	if got, err := s.ReadAll(ctx, a.Digest); err != nil || string(got) != "kept across the outage" {
		t.Fatalf("ReadAll after restart = %q, %v", got, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping after restart: %v", err)
	}
}

// TestFileTemps: a temporary file left by a killed writer is not an object
// and CleanTemps removes it: fileblob's of earlier versions once old
// enough, the store's own (pipe-tmp-*) at once unless its owner lives.
func TestFileTemps(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir, "")
	ctx := context.Background()
	a, err := s.PutBytes(ctx, "", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := objectKey(a.Digest)
	objPath := filepath.Join(dir, filepath.FromSlash(key))
	old := objPath + ".18d3f1a2b3c4d5e6.tmp"
	young := objPath + ".18d3f1a2b3c4d5e7.tmp"
	entryTemp := filepath.Join(dir, "cache", strings.Repeat("e", 64)+".json.18d3f1a2b3c4d5e8.tmp")
	for _, p := range []string{old, young, entryTemp} {
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("half an obj"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-2 * time.Hour)
	for _, p := range []string{old, entryTemp} {
		if err := os.Chtimes(p, past, past); err != nil {
			t.Fatal(err)
		}
	}
	if keys := objectKeys(t, s); len(keys) != 1 || keys[0] != key {
		t.Errorf("objects = %q, want only %s", keys, key)
	}
	if got, err := s.ReadAll(ctx, a.Digest); err != nil || string(got) != "x" {
		t.Errorf("ReadAll = %q, %v", got, err)
	}
	orphan := filepath.Join(dir, "cache", tempfile.Prefix+"orphan.tmp")
	if err := os.WriteFile(orphan, []byte("half an entry"), 0o666); err != nil {
		t.Fatal(err)
	}
	live, err := tempfile.Create(filepath.Join(dir, "cache"), ".tmp")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	n, err := s.CleanTemps(ctx, time.Hour)
	if err != nil || n != 3 {
		t.Errorf("CleanTemps = %d, %v; want 3, nil", n, err)
	}
	for p, want := range map[string]bool{old: false, entryTemp: false, orphan: false, young: true, objPath: true, live.Name(): true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", p, err == nil, want)
		}
	}
}

// TestGCSReadResumes stops the emulator while an object is being read and
// starts it again a little later: the reader reopens the object where it
// stopped, retrying while the emulator is down, and the content still
// passes its digest check. (The GCS client resumes a broken stream once by
// itself; with the emulator down that attempt fails too, and the Store's
// own retries take over.)
func TestGCSReadResumes(t *testing.T) {
	srv := gcstest.Start(t)
	// A budget of at least 10 s of pauses: ample for a restart.
	s, err := OpenOptions(context.Background(), srv.URL()+"/resume", "", &Options{Retry: Retry{Attempts: 200, Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	data := content(9, 32<<20) // far more than socket buffers hold
	a, err := s.PutBytes(ctx, "", data)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Open(ctx, a.Digest)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	head := make([]byte, 1<<20)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	type result struct {
		rest []byte
		err  error
	}
	done := make(chan result)
	go func() {
		rest, err := io.ReadAll(r)
		done <- result{rest, err}
	}()
	time.Sleep(300 * time.Millisecond)
	srv.Restart()
	res := <-done
	if res.err != nil {
		t.Fatalf("reading on across the outage: %v", res.err)
	}
	if got := append(head, res.rest...); !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes that differ from the %d stored", len(got), len(data))
	}
	if r.reopens == 0 {
		t.Errorf("the Store never reopened the stream: the test did not exercise it")
	}
}

// Media types of the objects the tests store; the store keeps them as
// given and reads nothing into them.
const (
	mediaDataset = "application/vnd.apache.arrow.file"
	mediaModel   = "application/vnd.pipe.model.v1+json"
)
