//go:build !linux

package load

// populate is advice only Linux takes (see prefault_linux.go).
func populate([]byte) bool { return false }
