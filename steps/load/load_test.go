package load

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/dataset"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
	"github.com/pipe-ml/pipe/steps/steptest"
)

// configValue builds a whole configuration value from the attributes given,
// with defaults and nulls for the rest, as the engine does.
func configValue(t testing.TB, attrs map[string]cty.Value) cty.Value {
	t.Helper()
	attrs = maps.Clone(attrs)
	obj := map[string]cty.Value{}
	for _, a := range schema.Attributes {
		v, ok := attrs[a.Name]
		switch {
		case ok:
			cv, err := convert.Convert(v, a.Type)
			if err != nil {
				t.Fatalf("attribute %s: %v", a.Name, err)
			}
			v = cv
		case a.Default != cty.NilVal:
			v = a.Default
		default:
			v = cty.NullVal(a.Type)
		}
		obj[a.Name] = v
		delete(attrs, a.Name)
	}
	for name := range attrs {
		t.Fatalf("no attribute %s", name)
	}
	return cty.ObjectVal(obj)
}

// wide and column are the usual attributes for the two layouts.
func wide(dim int, more map[string]cty.Value) map[string]cty.Value {
	m := map[string]cty.Value{
		"positive": cty.StringVal(synth.PositiveLabel),
		"features": cty.ObjectVal(map[string]cty.Value{"prefix": cty.StringVal("emb_"), "dim": cty.NumberIntVal(int64(dim))}),
		"id":       cty.StringVal("id"),
		"text":     cty.StringVal("text"),
	}
	for k, v := range more {
		m[k] = v
	}
	return m
}

func column(dim int, more map[string]cty.Value) map[string]cty.Value {
	m := wide(dim, more)
	m["features"] = cty.ObjectVal(map[string]cty.Value{"column": cty.StringVal("embedding"), "dim": cty.NumberIntVal(int64(dim))})
	return m
}

// run runs the step as the engine would (Validate, InputFiles, hashing,
// Run, output checks) over a fresh engine Env whose pipeline folder is
// dir.
func run(t testing.TB, env *testEnv, dir string, attrs map[string]cty.Value) (steps.Outputs, error) {
	t.Helper()
	env.Env = steptest.NewEnv(t, steptest.Parallelism(env.par), steptest.Dir(dir))
	out, err := env.Env.Run(Kind{}, attrs)
	if err == nil {
		checkOutputs(t, out)
	}
	return out, err
}

// checkOutputs checks the outputs against the schema's types.
func checkOutputs(t testing.TB, out steps.Outputs) {
	t.Helper()
	for _, o := range schema.Outputs {
		v, ok := out[o.Name]
		if !ok {
			t.Fatalf("output %s missing", o.Name)
		}
		if !v.Type().Equals(o.Type) {
			t.Fatalf("output %s is %s, want %s", o.Name, v.Type().FriendlyName(), o.Type.FriendlyName())
		}
	}
	if len(out) != len(schema.Outputs) {
		t.Fatalf("%d outputs, schema declares %d", len(out), len(schema.Outputs))
	}
}

func open(t testing.TB, env *testEnv, v cty.Value) *dataset.Dataset {
	t.Helper()
	a, err := steps.ArtifactFromValue(v)
	if err != nil {
		t.Fatal(err)
	}
	d, err := dataset.Open(context.Background(), env.Env, a)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func num(v cty.Value) int {
	i, _ := v.AsBigFloat().Int64()
	return int(i)
}

func writeFile(t testing.TB, dir, name string, d *dataset.Dataset, o synth.FileOptions) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteFile(path, d, o); err != nil {
		t.Fatal(err)
	}
	return path
}

func readText(t testing.TB, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeText(t testing.TB, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sameRows(t *testing.T, got, want *dataset.Dataset) {
	t.Helper()
	if got.N != want.N || got.Dim != want.Dim {
		t.Fatalf("got %d×%d, want %d×%d", got.N, got.Dim, want.N, want.Dim)
	}
	if !slices.Equal(got.X, want.X) {
		for i := range got.X {
			if got.X[i] != want.X[i] {
				t.Fatalf("row %d feature %d: got %v, want %v", i/got.Dim, i%got.Dim, got.X[i], want.X[i])
			}
		}
	}
	if !slices.Equal(got.Y, want.Y) {
		t.Fatalf("labels differ")
	}
	if !slices.Equal(got.IDs, want.IDs) || !slices.Equal(got.Texts, want.Texts) {
		t.Fatalf("ids or texts differ: %q vs %q", got.Texts[:3], want.Texts[:3])
	}
}

// TestLayouts reads the same rows from every file layout and label style.
func TestLayouts(t *testing.T) {
	g := synth.Generate(synth.Config{N: 300, Dim: 16, Rank: 3, Seed: 5})
	g.Texts[3] = "line one\nline two, with \"quotes\"" // a multi-line field
	cases := []struct {
		file  string
		opts  synth.FileOptions
		attrs map[string]cty.Value
	}{
		{"wide.csv", synth.FileOptions{}, wide(16, nil)},
		{"col.csv", synth.FileOptions{Layout: synth.Column}, column(16, nil)},
		{"wide.parquet", synth.FileOptions{}, wide(16, nil)},
		{"wide64.parquet", synth.FileOptions{Float64: true, RowGroupRows: 70}, wide(16, nil)},
		{"list.parquet", synth.FileOptions{Layout: synth.Column, RowGroupRows: 100}, column(16, nil)},
		{"intlabels.csv", synth.FileOptions{Labels: synth.IntLabels}, wide(16, map[string]cty.Value{"positive": cty.NumberIntVal(1)})},
		{"intlabels.parquet", synth.FileOptions{Labels: synth.IntLabels}, wide(16, map[string]cty.Value{"positive": cty.NumberIntVal(1), "negative": cty.NumberIntVal(0)})},
		{"boollabels.csv", synth.FileOptions{Labels: synth.BoolLabels}, wide(16, map[string]cty.Value{"positive": cty.True})},
		{"boollabels.parquet", synth.FileOptions{Labels: synth.BoolLabels, Layout: synth.Column}, column(16, map[string]cty.Value{"positive": cty.True})},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, tc.file, g.Dataset, tc.opts)
			tc.attrs["path"] = cty.StringVal(tc.file)
			env := newTestEnv(t, 2)
			out, err := run(t, env, dir, tc.attrs)
			if err != nil {
				t.Fatal(err)
			}
			d := open(t, env, out["data"])
			sameRows(t, d, g.Dataset)
			if num(out["rows"]) != g.N || num(out["positives"]) != g.Positives() || num(out["dim"]) != 16 || num(out["skipped"]) != 0 {
				t.Errorf("outputs rows %v positives %v dim %v skipped %v", out["rows"], out["positives"], out["dim"], out["skipped"])
			}
			if !out["train"].IsNull() || !out["test"].IsNull() {
				t.Error("train and test should be null without a split")
			}
			if d.Meta.Part != dataset.PartData || !strings.Contains(d.Meta.Source, tc.file+" sha256:") {
				t.Errorf("meta %+v", d.Meta)
			}
		})
	}
}

// TestDeterministic: the same files give the same bytes (artifact digests
// are SHA-256 of the bytes), whatever the parallelism and however the CSV
// is cut into blocks, for both embedding layouts, with and without groups.
func TestDeterministic(t *testing.T) {
	g := synth.Generate(synth.Config{N: 500, Dim: 24, Rank: 3, Seed: 8})
	split := cty.ObjectVal(map[string]cty.Value{"test": cty.NumberFloatVal(0.25), "seed": cty.NumberIntVal(7), "stratify": cty.True})
	grouped := cty.ObjectVal(map[string]cty.Value{"test": cty.NumberFloatVal(0.25), "seed": cty.NumberIntVal(7), "stratify": cty.True, "group": cty.StringVal("text")})
	for _, tc := range []struct {
		name  string
		opts  synth.FileOptions
		attrs map[string]cty.Value
	}{
		{"wide", synth.FileOptions{}, wide(24, map[string]cty.Value{"split": split})},
		{"column", synth.FileOptions{Layout: synth.Column}, column(24, map[string]cty.Value{"split": split})},
		{"wide grouped", synth.FileOptions{}, wide(24, map[string]cty.Value{"split": grouped})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "a.csv", g.Dataset, tc.opts)
			o := tc.opts
			o.RowGroupRows = 128
			writeFile(t, dir, "b.parquet", g.Dataset, o)
			tc.attrs["path"] = cty.StringVal(".")
			var digests []string
			for _, par := range []int{1, 2, 5} {
				for _, block := range []int64{4 << 20, 1000} {
					old := csvBlockSize
					csvBlockSize = block
					env := newTestEnv(t, par)
					out, err := run(t, env, dir, tc.attrs)
					csvBlockSize = old
					if err != nil {
						t.Fatal(err)
					}
					digests = append(digests, out["train"].GetAttr("digest").AsString()+out["test"].GetAttr("digest").AsString())
				}
			}
			for _, d := range digests[1:] {
				if d != digests[0] {
					t.Fatalf("digests differ: %v", digests)
				}
			}
		})
	}
}

// TestSeveralFiles reads files in sorted order, from a list, a glob and a
// folder alike.
func TestSeveralFiles(t *testing.T) {
	g := synth.Generate(synth.Config{N: 90, Dim: 8, Rank: 2, Seed: 2})
	parts := []*dataset.Dataset{slice(g.Dataset, 0, 30), slice(g.Dataset, 30, 60), slice(g.Dataset, 60, 90)}
	dir := t.TempDir()
	writeFile(t, dir, "data/part-2.csv", parts[2], synth.FileOptions{})
	writeFile(t, dir, "data/part-0.parquet", parts[0], synth.FileOptions{})
	writeFile(t, dir, "data/part-1.csv", parts[1], synth.FileOptions{})
	writeText(t, dir, "data/_SUCCESS", "")
	writeText(t, dir, "data/README.txt", "not data")
	for name, path := range map[string]cty.Value{
		"folder": cty.StringVal("data"),
		"glob":   cty.StringVal("data/part-*"),
		"list":   cty.ListVal([]cty.Value{cty.StringVal("data/part-2.csv"), cty.StringVal("data/part-*.parquet"), cty.StringVal("data/part-1.csv")}),
	} {
		t.Run(name, func(t *testing.T) {
			env := newTestEnv(t, 2)
			out, err := run(t, env, dir, wide(8, map[string]cty.Value{"path": path}))
			if err != nil {
				t.Fatal(err)
			}
			sameRows(t, open(t, env, out["data"]), g.Dataset)
		})
	}
}

func slice(d *dataset.Dataset, lo, hi int) *dataset.Dataset {
	return &dataset.Dataset{N: hi - lo, Dim: d.Dim, X: d.X[lo*d.Dim : hi*d.Dim], Y: d.Y[lo:hi], IDs: d.IDs[lo:hi], Texts: d.Texts[lo:hi]}
}
