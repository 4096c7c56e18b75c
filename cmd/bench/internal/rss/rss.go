package rss

import (
	"os"
	"strconv"
	"strings"
)

// Reset resets the kernel's high-water mark of this process's resident
// memory (writing 5 to /proc/self/clear_refs), so that Peak measures what
// runs after it, not, say, the data generation before.
func Reset() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// Peak returns the peak resident memory in bytes (VmHWM in
// /proc/self/status), or 0 when the kernel cannot tell.
func Peak() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return kb * 1024
				}
			}
		}
	}
	return 0
}
