package trigger

import (
	"path"
	"path/filepath"
	"slices"

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
// from, as the kinds name them (steps.FileReader): the folders a step's
// configuration reads from (InputFolders: a glob's fixed part, so that a
// new file matching it is seen; a folder given whole; a file's folder),
// and the folder of each file it reads now (InputFiles).
func FoldersOf(ws *workspace.Workspace) *DataFolders {
	p := ws.Pipeline
	dir := p.Config.Dir
	d := &DataFolders{Hidden: map[string]bool{}}
	add := func(folder string, sensitive bool) {
		folder = filepath.FromSlash(folder)
		if !filepath.IsAbs(folder) {
			folder = filepath.Join(dir, folder)
		}
		folder = filepath.Clean(folder)
		if sensitive {
			d.Hidden[folder] = true
		}
		if !slices.Contains(d.Paths, folder) {
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
		plain, _ := cfg.UnmarkDeep()
		for _, f := range fr.InputFolders(plain, dir) {
			add(f.Path, sensitiveAt(cfg, f.From))
		}
		if !plain.IsWhollyKnown() {
			continue
		}
		files, err := fr.InputFiles(plain, dir)
		if err != nil {
			continue
		}
		for _, f := range files {
			add(path.Dir(f), lang.IsSensitive(cfg))
		}
	}
	slices.Sort(d.Paths)
	return d
}

// sensitiveAt reports whether the value at p in cfg is sensitive, or
// anything in cfg when p does not lead to a value.
func sensitiveAt(cfg cty.Value, p cty.Path) bool {
	v, err := p.Apply(cfg)
	if err != nil {
		return lang.IsSensitive(cfg)
	}
	return lang.IsSensitive(v)
}
