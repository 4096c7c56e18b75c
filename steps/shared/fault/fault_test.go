//go:build unix

package fault

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapped returns a read-only map of a new file of n bytes and the file's
// path.
func mapped(t *testing.T, n int) ([]byte, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, make([]byte, n), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := unix.Mmap(int(f.Fd()), 0, n, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(b) })
	return b, path
}

var sink byte

func sum(b []byte) {
	for _, v := range b {
		sink += v
	}
}

// TestGuard: reading a mapping whose file was truncated is an *Error that
// names the mapping, in the guarded goroutine and through Go's workers.
func TestGuard(t *testing.T) {
	b, path := mapped(t, 1<<20)
	Track(b, "dataset sha256:feed")
	if err := os.Truncate(path, 4096); err != nil {
		t.Fatal(err)
	}
	read := func() (err error) {
		defer Guard(&err)()
		sum(b)
		return nil
	}
	err := read()
	var fe *Error
	if !errors.As(err, &fe) || fe.Name != "dataset sha256:feed" || !strings.HasSuffix(fe.Where, "fault.sum") {
		t.Fatalf("read of a truncated mapping = %#v, want an *Error naming it and sum", err)
	}
	if fe.Addr() < uintptr(len(b[:4096])) {
		t.Errorf("Addr = %#x", fe.Addr())
	}
	fanned := func() (err error) {
		defer Guard(&err)()
		Go(4, 64, func(_, i int) { sum(b[i*16384 : (i+1)*16384]) })
		return nil
	}
	if err := fanned(); !errors.As(err, &fe) || fe.Name != "dataset sha256:feed" {
		t.Fatalf("Go over a truncated mapping = %v, want an *Error", err)
	}
}

// TestGuardPassesOtherPanics: a panic that is no memory fault is not
// swallowed.
func TestGuardPassesOtherPanics(t *testing.T) {
	defer func() {
		if p := recover(); p != "boom" {
			t.Errorf("recovered %v, want the original panic", p)
		}
	}()
	var err error
	func() {
		defer Guard(&err)()
		panic("boom")
	}()
	t.Errorf("the panic did not pass through")
}

// TestGo runs every item once, on several goroutines or one.
func TestGo(t *testing.T) {
	for _, workers := range []int{1, 3} {
		seen := make([]int, 100)
		Go(workers, len(seen), func(_, i int) { seen[i]++ })
		for i, n := range seen {
			if n != 1 {
				t.Fatalf("workers %d: item %d ran %d times", workers, i, n)
			}
		}
	}
}

// TestTrack: a new registration over the same addresses replaces the old.
func TestTrack(t *testing.T) {
	b := make([]byte, 100)
	Track(b, "first")
	Track(b[10:20], "second")
	if n := lookup(unsafePointer(b) + 15); n != "second" {
		t.Errorf("lookup = %q, want the newer registration", n)
	}
	if n := lookup(unsafePointer(b) + 50); n != "" {
		t.Errorf("lookup = %q, want none (the older one was replaced)", n)
	}
}

func unsafePointer(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
