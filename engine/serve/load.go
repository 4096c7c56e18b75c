package serve

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/engine/workspace"
	"github.com/pipe-ml/pipe/steps"
)

// loaded is one load of the pipeline from disk.
type loaded struct {
	ws    *workspace.Workspace
	diags hcl.Diagnostics
	valid bool
	// name is the pipeline's name, or the folder's when nothing decoded.
	name string
	at   time.Time
	// generation is the ConfigMap version read (the ..data link's
	// target), "" outside a ConfigMap.
	generation string
	// digest is the workspace's ConfigDigest, when valid.
	digest string
	// folders are the data folders to watch; hidden counts those that
	// come from sensitive values and are not logged or shown.
	folders []string
	hidden  map[string]bool
}

// configMapData is the symlink kubelet swaps to publish a new version of
// a ConfigMap volume.
const configMapData = "..data"

// generation returns the target of dir/..data, or "".
func generation(dir string) string {
	target, err := os.Readlink(filepath.Join(dir, configMapData))
	if err != nil {
		return ""
	}
	return target
}

// load reads the pipeline once, consistently: when the ..data link moved
// while the files were read, it reads them again.
func (s *Server) load() *loaded {
	var l *loaded
	for range 5 {
		before := generation(s.dir)
		ws, diags := s.loadWorkspace(s.opts.Workspace)
		l = &loaded{ws: ws, diags: diags, valid: !diags.HasErrors(), at: s.clock.Now(), generation: before}
		if generation(s.dir) == before {
			break
		}
		s.log.Info("the ConfigMap changed while it was read; reading it again")
	}
	// A broken load keeps the name of the last good one, so that its
	// metrics stay one series: the name a broken file decodes to may be
	// the folder's.
	s.mu.Lock()
	good := s.goodName
	s.mu.Unlock()
	switch {
	case l.valid:
		l.name = l.ws.Pipeline.Config.Name()
		s.mu.Lock()
		s.goodName = l.name
		s.mu.Unlock()
	case good != "":
		l.name = good
	case l.ws != nil && l.ws.Pipeline != nil && l.ws.Pipeline.Config != nil:
		l.name = l.ws.Pipeline.Config.Name()
	default:
		l.name = filepath.Base(s.dir)
	}
	if l.valid {
		l.digest = l.ws.ConfigDigest()
		l.folders, l.hidden = dataFolders(l.ws)
	}
	return l
}

// reload loads the pipeline and makes everything that depends on it
// current: readiness, the validity metric, the store and registry
// handles, and the watched folders.
func (s *Server) reload(ctx context.Context) *loaded {
	l := s.load()
	s.secrets.Store(s.redactorFor(l))
	s.mu.Lock()
	prev := s.last
	s.last = l
	s.mu.Unlock()
	s.met.setValid(l.name, l.valid)
	switch {
	case !l.valid:
		attrs := []any{"pipeline", l.name, "errors", countErrors(l.diags)}
		if e := firstError(s.redact(l.diags, l)); e != "" {
			attrs = append(attrs, "first_error", e)
		}
		if prev == nil || prev.valid || prev.generation != l.generation {
			s.log.Error("the pipeline does not load; nothing runs until it is fixed", attrs...)
		}
	case prev != nil && !prev.valid:
		s.log.Info("the pipeline loads again", "pipeline", l.name)
	}
	if l.valid {
		s.openResources(ctx, l.ws)
		s.met.ensureSeries(l.name, l.ws.Pipeline.Config)
	}
	if w := s.watcherRef(); w != nil {
		w.setFolders(l)
	}
	return l
}

// dataFolders returns the folders the pipeline's file-reading steps read
// from: the folder of each file they list, and the fixed part of each
// path-like string they are given (so that a new file matching a glob is
// seen). hidden marks folders that come from sensitive values.
func dataFolders(ws *workspace.Workspace) ([]string, map[string]bool) {
	p := ws.Pipeline
	dir := p.Config.Dir
	seen := map[string]bool{}
	hidden := map[string]bool{}
	var out []string
	add := func(folder string, sensitive bool) {
		folder = filepath.Clean(folder)
		if sensitive {
			hidden[folder] = true
		}
		if !seen[folder] {
			seen[folder] = true
			out = append(out, folder)
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
	slices.Sort(out)
	return out, hidden
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
