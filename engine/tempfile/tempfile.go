package tempfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Prefix begins the name of every temporary file or folder pipe makes.
const Prefix = "pipe-tmp-"

// Create creates a new temporary file in dir (which must exist), named
// Prefix+random+suffix, open for reading and writing and locked by this
// process until it is closed. The caller renames or links it into place,
// or removes it; a process killed first leaves it for Sweep.
func Create(dir, suffix string) (*os.File, error) {
	for range 10 {
		f, err := os.CreateTemp(dir, Prefix+"*"+suffix)
		if err != nil {
			return nil, fmt.Errorf("tempfile: %w", err)
		}
		// Between creating the file and locking it, a Sweep elsewhere may
		// have taken it for an orphan and removed it: then start again.
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, fmt.Errorf("tempfile: locking %s: %w", f.Name(), err)
		}
		if linked(f) {
			return f, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("tempfile: creating a temporary file in %s: removed under us ten times", dir)
}

// Dir is a temporary folder this process holds locked; Close removes it
// with everything in it.
type Dir struct {
	// Path is the folder's path.
	Path string
	lock *os.File
}

// MkdirTemp creates a new temporary folder in dir (os.TempDir() when
// empty), named Prefix+random+".d", locked by this process until Close.
func MkdirTemp(dir string) (*Dir, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	for range 10 {
		path, err := os.MkdirTemp(dir, Prefix+"*.d")
		if err != nil {
			return nil, fmt.Errorf("tempfile: %w", err)
		}
		f, err := os.Open(path)
		if err != nil {
			continue // removed by a Sweep already
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			os.RemoveAll(path)
			return nil, fmt.Errorf("tempfile: locking %s: %w", path, err)
		}
		if linked(f) {
			return &Dir{Path: path, lock: f}, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("tempfile: creating a temporary folder in %s: removed under us ten times", dir)
}

// Close removes the folder and everything in it, and lets go of its lock.
func (d *Dir) Close() error {
	err := os.RemoveAll(d.Path)
	d.lock.Close()
	return err
}

// linked reports whether f still has a name (a Sweep did not remove it).
func linked(f *os.File) bool {
	var st syscall.Stat_t
	return syscall.Fstat(int(f.Fd()), &st) == nil && st.Nlink > 0
}

// Sweep removes the temporary files and folders in dir whose owner is
// gone, and returns how many it removed. It lists dir once and opens only
// the entries named Prefix+…; a missing dir holds none. An entry whose
// lock is held (its owner is alive) is left alone.
func Sweep(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		return 0, fmt.Errorf("tempfile: %w", err)
	}
	removed := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), Prefix) && RemoveOrphan(filepath.Join(dir, e.Name())) {
			removed++
		}
	}
	return removed, nil
}

// RemoveOrphan removes the temporary file or folder at path if no process
// holds a lock on it (exclusive, or shared as the store's readers take on
// the object cache's copies), and reports whether it did. A symbolic link
// is never followed.
func RemoveOrphan(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return false // its owner is alive (or locks do not work here)
	}
	// The name may have been reused since we opened it: remove it only
	// if it is still the file we hold.
	var held, now syscall.Stat_t
	if syscall.Fstat(int(f.Fd()), &held) != nil || syscall.Lstat(path, &now) != nil ||
		held.Ino != now.Ino || held.Dev != now.Dev {
		return false
	}
	if now.Mode&syscall.S_IFMT == syscall.S_IFDIR {
		return os.RemoveAll(path) == nil
	}
	return os.Remove(path) == nil
}
