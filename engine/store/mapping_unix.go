//go:build unix

package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the first size bytes of f read-only. An empty file maps to
// an empty slice.
func mapFile(f *os.File, size int64) ([]byte, error) {
	if size == 0 {
		return []byte{}, nil
	}
	if int64(int(size)) != size {
		return nil, unix.EFBIG
	}
	return unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
}

// unmapFile releases a mapping made by mapFile.
func unmapFile(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	return unix.Munmap(b)
}

// dropPages drops the process's mapping of b's pages (a page-aligned
// part of a mapping made by mapFile); reading them again maps them back.
func dropPages(b []byte) {
	_ = unix.Madvise(b, unix.MADV_DONTNEED) // resident memory only: an error changes no byte read
}
