package pipeline

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/diagfmt"
	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/testkinds"
)

// FuzzLoad feeds arbitrary bytes through every phase of loading a
// pipeline and rendering its diagnostics: nothing may panic.
func FuzzLoad(f *testing.F) {
	fixtures, _ := filepath.Glob("testdata/*/*.pipe.hcl")
	for _, name := range fixtures {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
	}
	f.Add([]byte(`{"source": {"a": {"path": "x"}}}`), true)
	kinds := testkinds.Catalog(nil)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, src []byte, asJSON bool) {
		name := "fuzz.pipe.hcl"
		if asJSON {
			name = "fuzz.pipe.json"
		}
		p, diags := LoadSources(dir, []config.Source{{Name: name, Bytes: src}}, Options{
			Kinds: kinds,
			Vars:  eval.VarInputs{Args: []eval.VarArg{{Assign: "x=1"}}},
		})
		if p == nil {
			t.Fatal("LoadSources returned no pipeline")
		}
		diagfmt.Text(discard{}, diags, diagfmt.Sources(p.Sources), false)
		diagfmt.JSON(diags, diagfmt.Sources(p.Sources))
		if !diags.HasErrors() {
			p.Graph.Order()
		}
	})
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
