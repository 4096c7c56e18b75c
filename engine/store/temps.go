package store

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CleanTemps removes the temporary files that writers to a local store
// (file://) left behind when their process was killed, and returns how
// many it removed. Such files are named KEY.<hex time>.tmp beside the key
// they were going to become; they are never read as objects (reads use
// exact keys, and listings of the store skip them), so they only waste
// space. Only files older than minAge are removed, so that a write in
// progress in another process is left alone; an hour is a safe minAge.
// On other backends, whose writers leave nothing behind, it does nothing.
//
// `pipe apply` calls it once it holds the state lock.
func (s *Store) CleanTemps(ctx context.Context, minAge time.Duration) (int, error) {
	if s.loc.Scheme != "file" {
		return 0, nil
	}
	cutoff := time.Now().Add(-minAge)
	removed := 0
	for _, top := range []string{objectsPrefix, cachePrefix, refsPrefix} {
		root := filepath.Join(s.loc.Dir, filepath.FromSlash(top))
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if d.IsDir() || !isTempName(d.Name()) {
				return nil
			}
			info, err := d.Info()
			if err != nil || info.ModTime().After(cutoff) {
				return nil
			}
			if os.Remove(path) == nil {
				removed++
			}
			return nil
		})
		if err != nil {
			return removed, &OpError{Store: s.url, Op: "cleaning temporary files", Attempts: 1, Err: err}
		}
	}
	return removed, nil
}

// isTempName reports whether name is a fileblob temporary file:
// NAME.<hex nanoseconds>.tmp.
func isTempName(name string) bool {
	rest, ok := strings.CutSuffix(name, ".tmp")
	if !ok {
		return false
	}
	i := strings.LastIndexByte(rest, '.')
	if i < 0 || i == len(rest)-1 {
		return false
	}
	for _, c := range rest[i+1:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
