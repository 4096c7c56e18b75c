package store

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CleanTemps removes the files that killed processes left behind, and
// returns how many it removed:
//
//   - the store's own temporary files (pipe-tmp-*.tmp: objects being
//     written in place, spool files in Options.SpoolDir, fills of
//     Options.Cache) whose process is gone, whatever their age: their
//     owner holds a lock on them while it lives (see tempFile). On Linux
//     they are unnamed while written and a kill leaves none at all;
//   - in a local store (file://), the temporary files that gocloud's
//     fileblob writes beside a cache entry or ref (KEY.<hex time>.tmp)
//     and spool or dataset copies of earlier versions of pipe in the spool
//     folder (pipe-spool-*, pipe-dataset-*.arrow), when older than minAge,
//     since they carry no lock; an hour is a safe minAge.
//
// None of them is ever read as an object (reads use exact keys, and
// listings of the store skip them): they only waste space. Other backends
// leave nothing behind. It is meant for `pipe apply` to call once it holds
// the state lock.
func (s *Store) CleanTemps(ctx context.Context, minAge time.Duration) (int, error) {
	cutoff := time.Now().Add(-minAge)
	removed := 0
	removeOld := func(path string, d fs.DirEntry) {
		if info, err := d.Info(); err == nil && !info.ModTime().After(cutoff) && os.Remove(path) == nil {
			removed++
		}
	}
	n, _ := removeOrphans(s.opts.SpoolDir)
	removed += n
	spools, _ := os.ReadDir(s.opts.SpoolDir)
	for _, d := range spools {
		if !d.IsDir() && isLegacyTemp(d.Name()) {
			removeOld(filepath.Join(s.opts.SpoolDir, d.Name()), d)
		}
	}
	if c := s.opts.Cache; c != nil {
		n, err := c.cleanTemps()
		removed += n
		if err != nil {
			return removed, err
		}
	}
	if s.loc.Scheme != "file" {
		return removed, nil
	}
	n, err := removeOrphans(filepath.Join(s.loc.Dir, filepath.FromSlash(objectsPrefix)))
	removed += n
	if err != nil {
		return removed, &OpError{Store: s.url, Op: "cleaning temporary files", Attempts: 1, Err: err}
	}
	for _, top := range []string{objectsPrefix, cachePrefix, refsPrefix, RegistryPrefix} {
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
			if !d.IsDir() && isTempName(d.Name()) && !strings.HasPrefix(d.Name(), tempPrefix) {
				removeOld(path, d)
			}
			return nil
		})
		if err != nil {
			return removed, &OpError{Store: s.url, Op: "cleaning temporary files", Attempts: 1, Err: err}
		}
	}
	return removed, nil
}

// isLegacyTemp reports whether name is a temporary file of an earlier
// version of pipe, which took no lock: a spool file or a dataset's copy.
func isLegacyTemp(name string) bool {
	return strings.HasPrefix(name, "pipe-spool-") ||
		strings.HasPrefix(name, "pipe-dataset-") && strings.HasSuffix(name, ".arrow")
}

// isTempName reports whether name is a temporary file: the store's own
// (pipe-tmp-*) or fileblob's (NAME.<hex nanoseconds>.tmp).
func isTempName(name string) bool {
	if strings.HasPrefix(name, tempPrefix) {
		return true
	}
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
