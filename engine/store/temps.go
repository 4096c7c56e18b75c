package store

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CleanTemps removes the files that a killed process left behind, and
// returns how many it removed: spool files (pipe-spool-*) in
// Options.SpoolDir, and in a local store (file://) the temporary files
// named KEY.<hex time>.tmp beside the key they were going to become. The
// latter are never read as objects (reads use exact keys, and listings of
// the store skip them), so they only waste space. Only files older than
// minAge are removed, so that a write in progress in another process is
// left alone; an hour is a safe minAge. Other backends leave nothing
// behind.
//
// It is meant for `pipe apply` to call once it holds the state lock.
func (s *Store) CleanTemps(ctx context.Context, minAge time.Duration) (int, error) {
	cutoff := time.Now().Add(-minAge)
	removed := 0
	remove := func(path string, d fs.DirEntry) {
		if info, err := d.Info(); err == nil && !info.ModTime().After(cutoff) && os.Remove(path) == nil {
			removed++
		}
	}
	spools, _ := os.ReadDir(s.opts.SpoolDir)
	for _, d := range spools {
		if !d.IsDir() && strings.HasPrefix(d.Name(), spoolPattern[:len(spoolPattern)-1]) {
			remove(filepath.Join(s.opts.SpoolDir, d.Name()), d)
		}
	}
	if s.loc.Scheme != "file" {
		return removed, nil
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
			if !d.IsDir() && isTempName(d.Name()) {
				remove(path, d)
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
