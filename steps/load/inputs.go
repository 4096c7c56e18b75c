package load

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
)

// InputFiles expands path into the sorted list of files Run reads. Each
// element of path is, relative to dir unless absolute:
//   - a glob (it contains * ? or [): every regular file it matches
//     (hidden files only when the pattern's last element starts with ".",
//     as in a shell);
//   - a folder: the .csv, .parquet and .pq files directly inside it (not
//     in subfolders; names starting with "." or "_" are skipped, like
//     Spark's _SUCCESS markers);
//   - otherwise, a file, which must exist.
//
// The union is deduplicated and sorted by path. A glob or folder that
// yields nothing, a missing file, or a file whose format cannot be told
// from its extension (without format) is an AttrError on path.
func (Kind) InputFiles(cfg cty.Value, dir string) ([]string, error) {
	c, errs := parseConfig(cfg, false)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	var files []string
	for i, p := range c.paths {
		at := steps.AttrPath("path")
		if len(c.paths) > 1 || !cfg.GetAttr("path").Type().Equals(cty.String) {
			at = at.IndexInt(i)
		}
		abs := p
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(dir, filepath.FromSlash(p))
		}
		var found []string
		switch st, err := os.Stat(abs); {
		case strings.ContainsAny(p, "*?["):
			matches, err := filepath.Glob(abs)
			if err != nil {
				return nil, steps.Errorf(at, "Invalid glob", "%q is not a valid glob: %v.", p, err)
			}
			dotted := strings.HasPrefix(filepath.Base(p), ".")
			for _, m := range matches {
				if strings.HasPrefix(filepath.Base(m), ".") && !dotted {
					continue // as in a shell, * does not match a leading dot
				}
				if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() {
					found = append(found, m)
				}
			}
			if len(found) == 0 {
				return nil, steps.Errorf(at, "No files match", "No file matches %q (searched %s). Check the path and the pipeline's folder.", p, abs)
			}
		case err != nil:
			return nil, steps.Errorf(at, "File not found", "%s does not exist (looked for %s).", p, abs)
		case st.IsDir():
			entries, err := os.ReadDir(abs)
			if err != nil {
				return nil, steps.Errorf(at, "Cannot read folder", "%v", err)
			}
			for _, e := range entries {
				name := e.Name()
				if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
					continue
				}
				if f := fileFormat(name, ""); f != "" && (c.format == "" || c.format == f) {
					found = append(found, filepath.Join(abs, name))
				}
			}
			if len(found) == 0 {
				return nil, steps.Errorf(at, "No data files in folder",
					"Folder %s holds no .csv, .parquet or .pq files (subfolders are not searched).", abs)
			}
		default:
			found = []string{abs}
		}
		for _, f := range found {
			if fileFormat(f, c.format) == "" {
				return nil, steps.Errorf(at, "Unknown file format",
					`Cannot tell the format of %s from its extension; name .csv or .parquet files, or set format = "csv" or "parquet".`, f)
			}
			files = append(files, relative(dir, f))
		}
	}
	slices.Sort(files)
	return slices.Compact(files), nil
}

// relative returns f relative to dir with forward slashes, or f itself
// when it lies outside dir.
func relative(dir, f string) string {
	rel, err := filepath.Rel(dir, f)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(f)
	}
	return filepath.ToSlash(rel)
}

// fileFormat returns "csv" or "parquet" for a file: format when set,
// otherwise by extension, or "" when unknown.
func fileFormat(name, format string) string {
	if format != "" {
		return format
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return "csv"
	case ".parquet", ".pq":
		return "parquet"
	}
	return ""
}
