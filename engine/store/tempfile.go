package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/pipe-ml/pipe/engine/tempfile"
)

// tempPrefix begins the name of every temporary file the store writes
// itself (objects being written in place, spool files, object cache
// fills): pipe-tmp-<random>.tmp.
const tempPrefix = tempfile.Prefix

// tempFile is a file this process is writing, to become visible under its
// final name only once complete (publish) and never to be taken for a
// finished one by another process meanwhile.
//
// On Linux it is an unnamed file (O_TMPFILE) in its folder: a process
// killed while writing it leaves nothing anywhere. Where the file system
// has no unnamed files (or off Linux) it is named tempPrefix+random+".tmp"
// in its folder. Either way this process holds an exclusive flock on it
// from creation until it is closed, so that removeOrphans, run by any later
// process, removes exactly the named temporary files whose owner is gone,
// whatever their age, and never one that is being written (the lock and
// the name are engine/tempfile's, whose Sweep every pipe command runs).
type tempFile struct {
	*os.File
	dir  string
	name string // the path while named; "" while unnamed
	done bool
}

// unnamedTemps is false in tests that exercise named temporary files.
var unnamedTemps = true

// createTemp creates a temporary file in dir, which must exist.
func createTemp(dir string) (*tempFile, error) {
	if !unnamedTemps {
		return createNamed(dir)
	}
	if f, err := openUnnamed(dir); err == nil {
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("store: locking a temporary file in %s: %w", dir, err)
		}
		return &tempFile{File: f, dir: dir}, nil
	}
	return createNamed(dir)
}

// createNamed creates a named temporary file in dir, locked.
func createNamed(dir string) (*tempFile, error) {
	f, err := tempfile.Create(dir, ".tmp")
	if err != nil {
		return nil, fmt.Errorf("store: creating a temporary file: %w", err)
	}
	return &tempFile{File: f, dir: dir, name: f.Name()}, nil
}

// publish gives the complete file its final name, in the same file
// system. With replace, a file already there is replaced atomically;
// without it, one already there is kept and publish reports false. Either
// way the temporary file is gone afterwards; it stays open until Close.
func (t *tempFile) publish(final string, replace bool) (bool, error) {
	if t.name == "" {
		if !replace {
			err := linkUnnamed(t.File, final)
			if errors.Is(err, fs.ErrExist) {
				return false, nil
			}
			if err == nil {
				return true, nil
			}
			// Fall through: give it a temporary name first.
		}
		if err := t.giveName(); err != nil {
			return false, err
		}
	}
	if replace {
		if err := os.Rename(t.name, final); err != nil {
			return false, fmt.Errorf("store: publishing %s: %w", final, err)
		}
		t.name = ""
		return true, nil
	}
	err := os.Link(t.name, final)
	os.Remove(t.name)
	t.name = ""
	switch {
	case errors.Is(err, fs.ErrExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("store: publishing %s: %w", final, err)
	}
	return true, nil
}

// giveName links an unnamed file under a temporary name in its folder; the
// lock this process holds keeps removeOrphans away from it.
func (t *tempFile) giveName() error {
	for range 10 {
		name := filepath.Join(t.dir, tempPrefix+randomHex(8)+".tmp")
		err := linkUnnamed(t.File, name)
		if err == nil {
			t.name = name
			return nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("store: naming a temporary file in %s: %w", t.dir, err)
		}
	}
	return fmt.Errorf("store: naming a temporary file in %s: every name taken", t.dir)
}

// Close closes the file and removes it unless it was published.
func (t *tempFile) Close() error {
	if t.done {
		return nil
	}
	t.done = true
	if t.name != "" {
		os.Remove(t.name)
	}
	return t.File.Close()
}

// removeOrphans removes the named temporary files in dir whose owner is
// gone (see tempFile) and returns how many it removed. A missing dir holds
// none.
func removeOrphans(dir string) (int, error) {
	return tempfile.Sweep(dir)
}
