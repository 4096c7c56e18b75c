package rss

import (
	"runtime"
	"testing"
)

// TestPeak checks that the peak covers memory the process touched.
func TestPeak(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc/self")
	}
	Reset()
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	if p := Peak(); p < 64<<20 {
		t.Errorf("peak %d bytes after touching 64 MiB", p)
	}
	runtime.KeepAlive(buf)
}
