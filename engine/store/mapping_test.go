package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// testMap is a conformance case: Map gives the object's bytes, checked,
// on every backend; a local store maps its own file.
func testMap(t *testing.T, b *backend, s *Store) {
	ctx := context.Background()
	data := content(21, 3<<20+17)
	a, err := s.PutBytes(ctx, "", data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Map(ctx, a.Digest)
	if err != nil {
		t.Fatalf("Map: %v", err)
	}
	defer m.Close()
	if !bytes.Equal(m.Bytes(), data) {
		t.Fatalf("Map gave %d bytes that differ from the %d put", len(m.Bytes()), len(data))
	}
	if err := m.Verify(ctx); err != nil {
		t.Errorf("Verify: %v", err)
	}
	switch {
	case s.loc.Scheme == "file":
		key, _ := objectKey(a.Digest)
		if want := filepath.Join(s.loc.Dir, filepath.FromSlash(key)); m.Path() != want {
			t.Errorf("Path = %q, want the store's own file %s", m.Path(), want)
		}
	case b.cached:
		if want := s.opts.Cache.Path(a.Digest); m.Path() != want {
			t.Errorf("Path = %q, want the object cache's copy %s", m.Path(), want)
		}
	}
	if err := m.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	// The empty object maps too.
	e, err := s.PutBytes(ctx, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	me, err := s.Map(ctx, e.Digest)
	if err != nil || len(me.Bytes()) != 0 || me.Verify(ctx) != nil {
		t.Fatalf("Map(empty) = %d bytes, %v", len(me.Bytes()), err)
	}
	me.Close()
	if _, err := s.Map(ctx, digestOf([]byte("never stored"))); !errors.Is(err, ErrNotFound) {
		t.Errorf("Map(missing) = %v, want ErrNotFound", err)
	}
}

// testMapCorrupt: an object altered behind the store's back maps (the
// check runs beside the work), but Verify refuses it and it is moved
// away, as a read would.
func testMapCorrupt(t *testing.T, _ *backend, s *Store) {
	ctx := context.Background()
	data := content(22, 1<<20)
	a, err := s.PutBytes(ctx, "", data)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := objectKey(a.Digest)
	bad := bytes.Clone(data)
	bad[12345] ^= 1
	if s.loc.Scheme == "file" {
		// In place, as a careless editor would: a new file, same name.
		if err := os.WriteFile(filepath.Join(s.loc.Dir, filepath.FromSlash(key)), bad, 0o644); err != nil {
			t.Fatal(err)
		}
	} else if err := s.bucket.WriteAll(ctx, key, bad, nil); err != nil {
		t.Fatal(err)
	}
	dropCopy(s, a.Digest)
	m, err := s.Map(ctx, a.Digest)
	if err != nil {
		// A store read into memory checks before it returns.
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Map of a corrupt object = %v, want nil or ErrCorrupt", err)
		}
		return
	}
	defer m.Close()
	err = m.Verify(ctx)
	var ce *CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("Verify of a corrupt object = %v, want a *CorruptError", err)
	}
	if !strings.Contains(err.Error(), "hashes to") {
		t.Errorf("Verify's error does not say what failed: %v", err)
	}
	if ok, _ := s.Has(ctx, a.Digest); ok {
		t.Errorf("the corrupt object is still in the store")
	}
}

// TestMapVerifiedOnce: an object this process wrote is not hashed again
// when mapped; one changed since is, and fails.
func TestMapVerifiedOnce(t *testing.T) {
	s := openTestStore(t, t.TempDir(), "")
	ctx := context.Background()
	data := content(23, 2<<20)
	a, err := s.PutBytes(ctx, "", data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Map(ctx, a.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if m.check != nil {
		t.Errorf("Map of an object this process just wrote started a check")
	}
	if err := m.Verify(ctx); err != nil {
		t.Errorf("Verify: %v", err)
	}
	m.Close()

	// Rewrite it in place with the same bytes: the file's identity
	// changes, so it is hashed again (and passes).
	if err := os.WriteFile(m.lo.path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err = s.Map(ctx, a.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if m.check == nil {
		t.Errorf("Map of a rewritten file trusted an earlier check")
	}
	if err := m.Verify(ctx); err != nil {
		t.Errorf("Verify: %v", err)
	}
	m.Close()
	// Now it is known again.
	m, _ = s.Map(ctx, a.Digest)
	if m.check != nil {
		t.Errorf("Map after a passed check started another")
	}
	m.Close()
}

// TestMapChangedWhileMapped: a file written to while it is mapped fails
// Verify even when its check had passed before, since the bytes a step
// read may not be the bytes checked.
func TestMapChangedWhileMapped(t *testing.T) {
	s := openTestStore(t, t.TempDir(), "")
	ctx := context.Background()
	data := content(24, 1<<20)
	a, err := s.PutBytes(ctx, "", data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Map(ctx, a.Digest)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	f, err := os.OpenFile(m.Path(), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{data[100]}, 100); err != nil { // the same byte: only the act counts
		t.Fatal(err)
	}
	f.Close()
	if err := m.Verify(ctx); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "changed") {
		t.Errorf("Verify after a write = %v, want a *CorruptError saying it changed", err)
	}
}

// TestMapTruncated truncates a mapped file while the check hashes it and
// while a goroutine reads it: neither crashes the process (SIGBUS), the
// reader recovers a fault, and Verify reports the object as truncated or
// changed.
func TestMapTruncated(t *testing.T) {
	s := openTestStore(t, t.TempDir(), "")
	ctx := context.Background()
	data := content(25, 64<<20)
	a, err := s.PutBytes(ctx, "", data)
	if err != nil {
		t.Fatal(err)
	}
	forget(t, s, a.Digest) // so that Map checks it
	m, err := s.Map(ctx, a.Digest)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := os.Truncate(m.Path(), 4096); err != nil {
		t.Fatal(err)
	}
	fault := make(chan any)
	go func() {
		debug.SetPanicOnFault(true)
		defer func() { fault <- recover() }()
		for _, b := range m.Bytes() {
			sink += b
		}
	}()
	if p := <-fault; p == nil {
		t.Errorf("reading a truncated mapping did not fault")
	}
	err = m.Verify(ctx)
	if !errors.Is(err, ErrCorrupt) || !(strings.Contains(err.Error(), "truncated") || strings.Contains(err.Error(), "changed")) {
		t.Errorf("Verify of a truncated mapping = %v, want a *CorruptError saying so", err)
	}
}

var sink byte

// forget makes this process forget that it checked the object, as a new
// process would.
func forget(t testing.TB, s *Store, digest string) {
	t.Helper()
	verified.mu.Lock()
	defer verified.mu.Unlock()
	for id, d := range verified.m {
		if d == digest {
			delete(verified.m, id)
		}
	}
}
