package api

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/diagfmt"
	"github.com/pipe-ml/pipe/engine/registry"
)

// Public makes what serve answers with fit to show whoever reaches it:
// no absolute path of the server, no host or user name. A path inside the
// pipeline folder is shown relative to it; any other absolute path by its
// last element after "…/". It works on typed values (a run's fields, the
// strings of a configuration), never on an encoded answer.
//
// Values of sensitive variables are not its business: the engine records
// them redacted (engine/redact), and serve shows what was recorded.
type Public struct {
	// Dir is the pipeline folder, absolute.
	Dir string
}

// absPath finds absolute paths in text: a slash at the start or after a
// space, a quote, a bracket, '=' or ',' (not after ':' or '/', so URLs
// such as gs://bucket/key are left alone), with file:// before it or
// not, and at least one character after the slash.
var absPath = regexp.MustCompile(`(^|[\s"'(\[=,])((?:file://)?/[^\s"'()\[\],;]+)`)

// Text returns s with every absolute path shown as Path shows it.
func (p Public) Text(s string) string {
	if !strings.Contains(s, "/") {
		return s
	}
	return absPath.ReplaceAllStringFunc(s, func(m string) string {
		sub := absPath.FindStringSubmatch(m)
		return sub[1] + p.URI(sub[2])
	})
}

// Path shows an absolute path: relative to the pipeline folder when it is
// inside it ("." for the folder itself), else "…/" and its last element.
// Other paths are shown as they are.
func (p Public) Path(path string) string {
	if !filepath.IsAbs(path) {
		return path
	}
	if p.Dir != "" {
		if rel, err := filepath.Rel(p.Dir, path); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return filepath.ToSlash(rel)
		}
	}
	base := filepath.Base(path)
	if base == "/" || base == "." {
		return "…"
	}
	return "…/" + base
}

// URI shows a URI: a file:// URL or an absolute path as Path shows the
// path; other URLs (gs://, s3://) as they are.
func (p Public) URI(u string) string {
	switch {
	case strings.HasPrefix(u, "file://"):
		path := strings.TrimPrefix(u, "file://")
		query := ""
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path, query = path[:i], path[i:]
		}
		return "file://" + p.Path(path) + query
	case strings.HasPrefix(u, "/"):
		return p.Path(u)
	}
	return u
}

// Run returns r without its host and user, its store URL and error shown
// as URI and Text show them.
func (p Public) Run(r registry.Run) registry.Run {
	r.Host, r.User = "", ""
	r.StoreURL = p.URI(r.StoreURL)
	r.Error = p.Text(r.Error)
	return r
}

// RunDetail returns d as Run and Execution show them.
func (p Public) RunDetail(d registry.RunDetail) registry.RunDetail {
	d.Run = p.Run(d.Run)
	d.Executions = each(d.Executions, p.Execution)
	return d
}

// Execution returns e with its error, warnings, configuration, outputs
// and artifacts' URIs shown as Text and URI show them.
func (p Public) Execution(e registry.Execution) registry.Execution {
	e.Error = p.Text(e.Error)
	e.Warnings = each(e.Warnings, p.Text)
	e.Config, e.Outputs = p.json(e.Config), p.json(e.Outputs)
	e.Used, e.Produced = each(e.Used, p.ref), each(e.Produced, p.ref)
	return e
}

func (p Public) ref(a registry.ArtifactRef) registry.ArtifactRef {
	a.URI = p.URI(a.URI)
	return a
}

// each returns a copy of in with f applied to every element (nil for
// nil), leaving in as it was.
func each[T any](in []T, f func(T) T) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// json shows the strings inside a JSON value as Text shows them; the
// numbers are kept exactly as recorded.
func (p Public) json(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || !strings.Contains(string(raw), "/") {
		return raw
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return raw
	}
	b, err := json.Marshal(p.value(v))
	if err != nil {
		return raw
	}
	return b
}

func (p Public) value(v any) any {
	switch x := v.(type) {
	case string:
		return p.Text(x)
	case []any:
		for i, e := range x {
			x[i] = p.value(e)
		}
	case map[string]any:
		for k, e := range x {
			x[k] = p.value(e)
		}
	}
	return v
}

// Artifact returns a with its URIs shown as URI shows them.
func (p Public) Artifact(a registry.ArtifactInfo) registry.ArtifactInfo {
	a.URI = p.URI(a.URI)
	a.Locations = each(a.Locations, p.URI)
	return a
}

// Version returns v with its URI shown as URI shows it.
func (p Public) Version(v registry.ModelVersion) registry.ModelVersion {
	v.URI = p.URI(v.URI)
	return v
}

// Model returns m with its versions shown as Version shows them.
func (p Public) Model(m registry.ModelDetail) registry.ModelDetail {
	m.Versions = each(m.Versions, p.Version)
	return m
}

// Graph returns g with its nodes shown as Run, Execution, Artifact and
// Version show them.
func (p Public) Graph(g registry.Graph) registry.Graph {
	g.Nodes = each(g.Nodes, func(n registry.Node) registry.Node {
		if n.ModelVersion != nil {
			v := p.Version(*n.ModelVersion)
			n.ModelVersion = &v
		}
		if n.Execution != nil {
			e := *n.Execution
			e.Execution = p.Execution(e.Execution)
			n.Execution = &e
		}
		if n.Artifact != nil {
			a := p.Artifact(*n.Artifact)
			n.Artifact = &a
		}
		if n.Run != nil {
			r := p.Run(*n.Run)
			n.Run = &r
		}
		return n
	})
	return g
}

// Diagnostics returns copies of diags whose file names, summaries and
// details show paths as Path and Text show them, and the sources under
// the file names shown, for snippets.
func (p Public) Diagnostics(diags hcl.Diagnostics, src diagfmt.Sources) (hcl.Diagnostics, diagfmt.Sources) {
	out := make(hcl.Diagnostics, len(diags))
	for i, d := range diags {
		c := *d
		c.Summary, c.Detail = p.Text(c.Summary), p.Text(c.Detail)
		c.Subject, c.Context = p.rng(c.Subject), p.rng(c.Context)
		out[i] = &c
	}
	shown := make(diagfmt.Sources, len(src))
	for name, b := range src {
		shown[p.Path(name)] = b
	}
	return out, shown
}

func (p Public) rng(r *hcl.Range) *hcl.Range {
	if r == nil {
		return nil
	}
	c := *r
	c.Filename = p.Path(c.Filename)
	return &c
}
