package load

import (
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
)

// InputFolders returns the folders path reads from, so that pipe serve
// sees new and changed data: for each element of path (relative to dir
// unless absolute), a glob's folder before its first wildcard, a folder
// given whole, or a file's folder, whether the file exists yet or not.
// Elements not known yet, and any that is not a string, give none.
func (Kind) InputFolders(cfg cty.Value, dir string) []steps.Folder {
	v := cfg.GetAttr("path")
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	var out []steps.Folder
	add := func(p string, from cty.Path) {
		if strings.TrimSpace(p) != "" {
			out = append(out, steps.Folder{Path: folderOf(p, dir), From: from})
		}
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		add(v.AsString(), steps.AttrPath("path"))
	case ty.IsListType() || ty.IsTupleType():
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			_, e := it.Element()
			if e.IsKnown() && !e.IsNull() && e.Type() == cty.String {
				add(e.AsString(), steps.AttrPath("path").IndexInt(i))
			}
		}
	}
	return out
}

// folderOf returns, slash-separated, the folder an element of path reads
// from: the components of a glob before the first with a wildcard (as
// filepath.Glob matches component by component), a folder that exists, or
// else the folder of a file.
func folderOf(p, dir string) string {
	p = path.Clean(filepath.ToSlash(p))
	if strings.ContainsAny(p, "*?[") {
		parts := strings.Split(p, "/")
		for i, c := range parts {
			if strings.ContainsAny(c, "*?[") {
				parts = parts[:i]
				break
			}
		}
		switch root := strings.Join(parts, "/"); {
		case root == "" && strings.HasPrefix(p, "/"):
			return "/"
		case root == "":
			return "."
		default:
			return root
		}
	}
	abs := filepath.FromSlash(p)
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(dir, abs)
	}
	if st, err := os.Stat(abs); err == nil && st.IsDir() {
		return p
	}
	return path.Dir(p)
}
