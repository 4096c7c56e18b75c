//go:build unix

package dataset

import "golang.org/x/sys/unix"

// reserve returns size bytes of address space that read as zeros and
// take no memory until read: a private anonymous mapping, read-only.
func reserve(size int) ([]byte, error) {
	return unix.Mmap(-1, 0, size, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANON)
}

// release gives back a range from reserve.
func release(b []byte) { _ = unix.Munmap(b) } // an address range only: nothing to lose
