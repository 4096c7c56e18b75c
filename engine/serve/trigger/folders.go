package trigger

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/engine/workspace"
	"github.com/pipe-ml/pipe/steps"
)

// DataFolders are the folders a pipeline's steps read files from.
type DataFolders struct {
	// Paths are absolute and sorted.
	Paths []string
	// Hidden marks the folders that come from sensitive values: they are
	// watched but never logged or shown.
	Hidden map[string]bool
}

// FoldersOf returns the folders the pipeline's file-reading steps read
// from: the folder of each file they list, and the fixed part of each
// path-like string they are given (so that a new file matching a glob is
// seen).
func FoldersOf(ws *workspace.Workspace) *DataFolders {
	p := ws.Pipeline
	dir := p.Config.Dir
	seen := map[string]bool{}
	d := &DataFolders{Hidden: map[string]bool{}}
	add := func(folder string, sensitive bool) {
		folder = filepath.Clean(folder)
		if sensitive {
			d.Hidden[folder] = true
		}
		if !seen[folder] {
			seen[folder] = true
			d.Paths = append(d.Paths, folder)
		}
	}
	scope := p.Scope(nil)
	for _, addr := range p.Config.StepAddrs() {
		step := p.Config.Steps[addr]
		fr, ok := step.Kind.(steps.FileReader)
		if !ok {
			continue
		}
		cfg, diags := eval.Step(step, scope)
		if diags.HasErrors() || cfg == cty.NilVal || !cfg.Type().IsObjectType() {
			continue
		}
		sensitive := lang.IsSensitive(cfg)
		plain, _ := cfg.UnmarkDeep()
		for name := range plain.Type().AttributeTypes() {
			secret := lang.IsSensitive(cfg.GetAttr(name))
			for _, str := range stringsIn(plain.GetAttr(name)) {
				if root, ok := pathRoot(dir, str); ok {
					add(root, secret)
				}
			}
		}
		if !plain.IsWhollyKnown() {
			continue
		}
		files, err := fr.InputFiles(plain, dir)
		if err != nil {
			continue
		}
		for _, f := range files {
			abs := filepath.FromSlash(f)
			if !filepath.IsAbs(abs) {
				abs = filepath.Join(dir, abs)
			}
			add(filepath.Dir(abs), sensitive)
		}
	}
	slices.Sort(d.Paths)
	return d
}

// stringsIn returns the known strings in v: v itself, or the elements of a
// list, set or tuple, or the attributes of an object, one level deep.
func stringsIn(v cty.Value) []string {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return []string{v.AsString()}
	case t.IsListType() || t.IsSetType() || t.IsTupleType() || t.IsObjectType() || t.IsMapType():
		var out []string
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.IsKnown() && !e.IsNull() && e.Type() == cty.String {
				out = append(out, e.AsString())
			}
		}
		return out
	}
	return nil
}

// pathRoot returns the folder to watch for a string that may be a path:
// an existing folder itself, an existing file's folder, or for a glob the
// folder before its first wildcard (or that folder's nearest existing
// parent). Anything else (a URL, a label, a column name) is not a path.
func pathRoot(dir, s string) (string, bool) {
	if s == "" || strings.Contains(s, "://") {
		return "", false
	}
	p := filepath.FromSlash(s)
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	if !strings.ContainsAny(s, "*?[") {
		info, err := os.Stat(p)
		switch {
		case err != nil:
			return "", false
		case info.IsDir():
			return p, true
		default:
			return filepath.Dir(p), true
		}
	}
	// The components before the first one with a wildcard.
	parts := strings.Split(p, string(filepath.Separator))
	i := slices.IndexFunc(parts, func(c string) bool { return strings.ContainsAny(c, "*?[") })
	root := strings.Join(parts[:i], string(filepath.Separator))
	if root == "" {
		root = string(filepath.Separator)
	}
	return root, true
}
