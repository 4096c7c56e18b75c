package testkinds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
)

// Counter counts executions per step kind, safely across goroutines.
type Counter struct {
	mu sync.Mutex
	n  map[string]int
}

// Add counts one execution of kind.
func (c *Counter) Add(kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[kind]++
}

// Get returns the executions of kind so far.
func (c *Counter) Get(kind string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[kind]
}

// Total returns all executions so far.
func (c *Counter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := 0
	for _, n := range c.n {
		t += n
	}
	return t
}

// Catalog returns the test kinds, counting into c (which may be nil):
//
//	source "x"    { path = "file or glob" }          → data (artifact), lines (number)
//	transform "x" { input = ARTIFACT, factor = 2, mode = "upper"|"lower", fail = false, sleep = "10ms", wait_for = "FILE", parallelism = 4 }
//	                                                 → out (artifact), score (number), info (object)
//	combine "x"   { inputs = [ARTIFACT...], params = ANY } → out (artifact), count (number)
//	fakemodel "x" { data = ARTIFACT, eval = ARTIFACT, quality = 0.9 } → model, report (artifacts), f1 (number); describes its report
//	tally "x"     { input = ARTIFACT, add = COUNTS, min_count = 1 } → counts (artifact), distinct (number)
func Catalog(c *Counter) *steps.Catalog {
	if c == nil {
		c = &Counter{}
	}
	return steps.NewCatalog(&Source{c}, &Transform{c}, &Combine{c}, &FakeModel{c}, &Tally{c}, &Export{c})
}

// Source reads files and stores their lines, sorted by path, as one
// artifact.
type Source struct{ c *Counter }

var _ steps.FileReader = (*Source)(nil)

func (*Source) Name() string    { return "source" }
func (*Source) Version() string { return "1" }
func (*Source) Schema() *steps.Schema {
	return &steps.Schema{
		Description: "Reads text files into one artifact.",
		Attributes: []steps.Attribute{
			{Name: "path", Type: cty.String, Required: true, Path: steps.PathRead, Description: "A file or a glob, relative to the pipeline."},
		},
		Outputs: []steps.Output{
			{Name: "data", Type: steps.ArtifactType},
			{Name: "lines", Type: cty.Number},
		},
	}
}

func (*Source) InputFiles(cfg cty.Value, dir string) ([]string, error) {
	pattern := cfg.GetAttr("path").AsString()
	matches, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return nil, steps.Errorf(steps.AttrPath("path"), "Invalid glob", "%s", err)
	}
	if len(matches) == 0 {
		return nil, steps.Errorf(steps.AttrPath("path"), "No input files", "No file matches %q in %s.", pattern, dir)
	}
	var rel []string
	for _, m := range matches {
		r, _ := filepath.Rel(dir, m)
		rel = append(rel, filepath.ToSlash(r))
	}
	slices.Sort(rel)
	return rel, nil
}

// InputFolders names the folder path's files come from: a glob's folder
// before its first wildcard, or a file's folder.
func (*Source) InputFolders(cfg cty.Value, dir string) []steps.Folder {
	v := cfg.GetAttr("path")
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	p := path.Clean(v.AsString())
	if i := strings.IndexAny(p, "*?["); i >= 0 {
		p = p[:i] // path.Dir of "data/" and of "data/pre" is "data"
	}
	return []steps.Folder{{Path: path.Dir(p), From: steps.AttrPath("path")}}
}

func (s *Source) Run(ctx context.Context, env steps.Env, in *steps.Inputs) (steps.Outputs, error) {
	s.c.Add("source")
	var all bytes.Buffer
	for _, f := range in.Files {
		b, err := os.ReadFile(f.Abs)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&all, "# %s\n", path.Base(f.Path))
		all.Write(b)
	}
	a, err := env.PutArtifact(ctx, "text/plain", func(w io.Writer) error {
		_, err := w.Write(all.Bytes())
		return err
	})
	if err != nil {
		return nil, err
	}
	return steps.Outputs{
		"data":  a.Value(),
		"lines": cty.NumberIntVal(int64(bytes.Count(all.Bytes(), []byte("\n")))),
	}, nil
}

// Transform reads an artifact and writes a transformed copy.
type Transform struct{ c *Counter }

func (*Transform) Name() string    { return "transform" }
func (*Transform) Version() string { return "1" }
func (*Transform) Schema() *steps.Schema {
	return &steps.Schema{
		Description: "Transforms an artifact.",
		Attributes: []steps.Attribute{
			{Name: "input", Type: steps.ArtifactType, Required: true},
			{Name: "factor", Type: cty.Number, Default: cty.NumberIntVal(1)},
			{Name: "mode", Type: cty.String, Default: cty.StringVal("upper")},
			{Name: "fail", Type: cty.Bool, Default: cty.False},
			{Name: "sleep", Type: cty.String, Default: cty.StringVal("0s"), NotKeyed: true},
			{Name: "wait_for", Type: cty.String, Default: cty.StringVal(""), NotKeyed: true,
				Description: "A file to wait for before running: a test holds the step running until it writes it."},
			{Name: "parallelism", Type: cty.Number, NotKeyed: true},
		},
		Outputs: []steps.Output{
			{Name: "out", Type: steps.ArtifactType},
			{Name: "score", Type: cty.Number},
			{Name: "info", Type: cty.Object(map[string]cty.Type{"mode": cty.String, "factor": cty.Number})},
		},
	}
}

func (*Transform) Validate(cfg cty.Value) []*steps.AttrError {
	var errs []*steps.AttrError
	if f := cfg.GetAttr("factor"); f.IsKnown() && !f.IsNull() && f.AsBigFloat().Sign() <= 0 {
		errs = append(errs, steps.Errorf(steps.AttrPath("factor"), "Factor must be positive", "factor is %s; use a number above zero.", f.AsBigFloat().Text('g', -1)))
	}
	if m := cfg.GetAttr("mode"); m.IsKnown() && !m.IsNull() && m.AsString() != "upper" && m.AsString() != "lower" {
		errs = append(errs, steps.Errorf(steps.AttrPath("mode"), "Unknown mode", "mode is %q; use \"upper\" or \"lower\".", m.AsString()))
	}
	return errs
}

func (t *Transform) Run(ctx context.Context, env steps.Env, in *steps.Inputs) (steps.Outputs, error) {
	t.c.Add("transform")
	if d, err := time.ParseDuration(in.String("sleep")); err == nil && d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err := waitFor(ctx, in.String("wait_for")); err != nil {
		return nil, err
	}
	if in.Bool("fail") {
		return nil, errors.New("transform: failing as asked")
	}
	src, err := in.Artifact("input")
	if err != nil {
		return nil, err
	}
	b, err := env.ReadArtifact(ctx, src)
	if err != nil {
		return nil, err
	}
	factor, err := in.Int("factor", 1)
	if err != nil {
		return nil, err
	}
	text := string(b)
	if in.String("mode") == "lower" {
		text = strings.ToLower(text)
	} else {
		text = strings.ToUpper(text)
	}
	text = strings.Repeat(text, factor)
	a, err := env.PutArtifact(ctx, "text/plain", func(w io.Writer) error {
		_, err := io.WriteString(w, text)
		return err
	})
	if err != nil {
		return nil, err
	}
	return steps.Outputs{
		"out":   a.Value(),
		"score": cty.NumberFloatVal(float64(len(text)) / 1000),
		"info": cty.ObjectVal(map[string]cty.Value{
			"mode":   cty.StringVal(in.String("mode")),
			"factor": cty.NumberIntVal(int64(factor)),
		}),
	}, nil
}

// Combine concatenates artifacts.
type Combine struct{ c *Counter }

func (*Combine) Name() string    { return "combine" }
func (*Combine) Version() string { return "1" }
func (*Combine) Schema() *steps.Schema {
	return &steps.Schema{
		Description: "Concatenates artifacts.",
		Attributes: []steps.Attribute{
			{Name: "inputs", Type: cty.List(steps.ArtifactType), Required: true},
			{Name: "params", Type: cty.DynamicPseudoType},
		},
		Outputs: []steps.Output{
			{Name: "out", Type: steps.ArtifactType},
			{Name: "count", Type: cty.Number},
		},
	}
}

func (c *Combine) Run(ctx context.Context, env steps.Env, in *steps.Inputs) (steps.Outputs, error) {
	c.c.Add("combine")
	var all bytes.Buffer
	n := 0
	for it := in.Attr("inputs").ElementIterator(); it.Next(); n++ {
		_, v := it.Element()
		a, err := steps.ArtifactFromValue(v)
		if err != nil {
			return nil, err
		}
		b, err := env.ReadArtifact(ctx, a)
		if err != nil {
			return nil, err
		}
		all.Write(b)
	}
	a, err := env.PutArtifact(ctx, "text/plain", func(w io.Writer) error {
		_, err := w.Write(all.Bytes())
		return err
	})
	if err != nil {
		return nil, err
	}
	return steps.Outputs{"out": a.Value(), "count": cty.NumberIntVal(int64(n))}, nil
}

// waitFor waits until the file at path exists ("" waits for nothing).
func waitFor(ctx context.Context, path string) error {
	if path == "" {
		return nil
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
