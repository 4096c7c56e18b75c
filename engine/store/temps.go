package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/engine/tempfile"
)

// SweepTemps removes the store's own temporary files (pipe-tmp-*: spool
// files in Options.SpoolDir, fills of Options.Cache, objects being written
// in a file:// store) whose process is gone, whatever their age, and
// returns how many it removed. Their owner holds a lock on them while it
// lives (see tempFile), so one in use is never removed; on Linux they are
// unnamed while written and a kill leaves none at all. It lists each of
// those folders once, so every pipe command can afford it: workspaces
// call it when they open their store.
func (s *Store) SweepTemps() (int, error) {
	removed := 0
	var errs []error
	dirs := []string{s.opts.SpoolDir}
	if c := s.opts.Cache; c != nil {
		dirs = append(dirs, filepath.Join(c.dir, "tmp"))
	}
	if s.loc.Scheme == "file" {
		dirs = append(dirs, filepath.Join(s.loc.Dir, filepath.FromSlash(objectsPrefix)))
	}
	for _, dir := range dirs {
		n, err := removeOrphans(dir)
		removed += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return removed, &OpError{Store: s.url, Op: "cleaning temporary files", Attempts: 1, Err: err}
	}
	return removed, nil
}

// CleanTemps does what SweepTemps does and also walks a file:// store's
// objects, entries, refs and registry log for temporary files left there:
//
//   - the store's own (pipe-tmp-*), whose process is gone, whatever their
//     age;
//   - those of earlier versions of pipe, which took no lock: gocloud
//     fileblob's KEY.<hex time>.tmp beside an entry, ref or log record,
//     and spool or dataset copies in the spool folder (pipe-spool-*,
//     pipe-dataset-*.arrow), when older than minAge; an hour is a safe
//     minAge. This version of pipe makes none of them.
//
// None of them is ever read as an object (reads use exact keys, and
// listings of the store skip them): they only waste space. Other backends
// leave nothing behind. The walk reads every entry of the store, so it is
// meant for `pipe apply` to call once it holds the state lock.
func (s *Store) CleanTemps(ctx context.Context, minAge time.Duration) (int, error) {
	cutoff := time.Now().Add(-minAge)
	removed, err := s.SweepTemps()
	if err != nil {
		return removed, err
	}
	removeOld := func(path string, d fs.DirEntry) {
		if info, err := d.Info(); err == nil && !info.ModTime().After(cutoff) && os.Remove(path) == nil {
			removed++
		}
	}
	spools, _ := os.ReadDir(s.opts.SpoolDir)
	for _, d := range spools {
		if !d.IsDir() && isLegacyTemp(d.Name()) {
			removeOld(filepath.Join(s.opts.SpoolDir, d.Name()), d)
		}
	}
	if s.loc.Scheme != "file" {
		return removed, nil
	}
	for _, top := range []string{objectsPrefix, cachePrefix, refsPrefix, RegistryPrefix} {
		root := filepath.Join(s.loc.Dir, filepath.FromSlash(top))
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil && os.IsNotExist(err):
				return nil
			case err != nil:
				return err
			case ctx.Err() != nil:
				return ctx.Err()
			case d.IsDir() || !isTempName(d.Name()):
				return nil
			case strings.HasPrefix(d.Name(), tempPrefix):
				if tempfile.RemoveOrphan(path) {
					removed++
				}
			default:
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
