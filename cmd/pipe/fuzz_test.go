package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/diagfmt"
	"github.com/pipe-ml/pipe/engine/pipeline"
)

// FuzzLoadRealKinds loads arbitrary pipelines with the step kinds pipe
// ships (engine/pipeline's FuzzLoad uses the engine's test kinds), so the
// kinds' schemas and Validate see whatever a user may write: nothing may
// panic. The seeds are the shipped pipelines and the bad-input corpus.
func FuzzLoadRealKinds(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{"../../pipelines/*.pipe.hcl", "../../examples/*/*.pipe.hcl", "testdata/bad/*/main.pipe.hcl", "testdata/pipelines/*/main.pipe.hcl"} {
		m, _ := filepath.Glob(pattern)
		seeds = append(seeds, m...)
	}
	for _, name := range seeds {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	kinds := stepKinds()
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, src []byte) {
		p, diags := pipeline.LoadSources(dir, []config.Source{{Name: "fuzz.pipe.hcl", Bytes: src}}, pipeline.Options{
			Kinds:            kinds,
			AllowMissingVars: true,
		})
		diagfmt.Text(io.Discard, diags, diagfmt.Sources(p.Sources), false)
		diagfmt.JSON(diags, diagfmt.Sources(p.Sources))
		if !diags.HasErrors() {
			quiet := &views.View{Stdout: io.Discard, Stderr: io.Discard}
			views.NewGraph(arguments.ViewDOT, quiet).Pipeline(p)
			views.NewGraph(arguments.ViewMermaid, quiet).Pipeline(p)
		}
	})
}
