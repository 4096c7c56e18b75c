package load

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// populate asks the kernel to map writable pages for b's whole pages
// now (MADV_POPULATE_WRITE), leaving their bytes as they are. It is
// advice: false when the kernel (before 5.14) does not take it.
func populate(b []byte) bool {
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := (start + page - 1) &^ (page - 1)
	hi := (start + uintptr(len(b))) &^ (page - 1)
	if hi <= lo {
		return true
	}
	return unix.Madvise(b[lo-start:hi-start], unix.MADV_POPULATE_WRITE) == nil
}
