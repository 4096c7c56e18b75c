//go:build !linux

package lock

import (
	"errors"
	"syscall"
)

// alive reports whether a process with the given pid runs on this host.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
