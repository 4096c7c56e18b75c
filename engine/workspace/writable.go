package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// cannotWrite reports whether err says that a folder or file cannot be
// written: a read-only file system, or no permission.
func cannotWrite(err error) bool {
	return errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission)
}

// stateNotWritable is the error for a state folder that cannot be
// written, err being the first write that failed: it names the folder and
// says where else local state can go.
func stateNotWritable(dir string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // "read-only file system", "permission denied"
	}
	return fmt.Errorf("%w: the state folder %s cannot be written (%v). pipe keeps its lock, the registry's index and, by default, the store there: "+
		"point -state-dir (or PIPE_STATE_DIR) at a folder pipe may write, or make %s writable", ErrStateNotWritable, dir, err, dir)
}

// stateFull is the error for a state folder whose disk is full.
func stateFull(dir string) error {
	return fmt.Errorf("%w: the state folder %s is on a full disk (no space left on device). Free space there, or point -state-dir (or PIPE_STATE_DIR) at a folder on another disk", ErrStateNotWritable, dir)
}

// ErrStateNotWritable is matched (errors.Is) by the error for a state
// folder that cannot be written.
var ErrStateNotWritable = errors.New("workspace")
