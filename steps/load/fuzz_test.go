package load

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

// FuzzCSV feeds arbitrary bytes to the CSV reader, cut into tiny blocks
// and into one: load must never panic, and both cuts must agree.
func FuzzCSV(f *testing.F) {
	g := synth.Generate(synth.Config{N: 6, Dim: 3, Rank: 1, Seed: 1})
	g.Texts[2] = "a \"quoted\",\nmulti-line text"
	for _, o := range []synth.FileOptions{{Prefix: "e"}, {Layout: synth.Column, Column: "v"}} {
		var b bytes.Buffer
		if err := synth.WriteCSV(&b, g.Dataset, o); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Add([]byte("label,e0,e1,e2\nprivate,1,2,3\npublic,\"4\",5e-3,-6\r\n\n"))
	f.Add([]byte("label,e0,e1,e2\nprivate,1,2\"x,3\npublic,1,2,3"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "f.csv"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		attrs := func(layout string) map[string]cty.Value {
			m := map[string]cty.Value{
				"path":       cty.StringVal("f.csv"),
				"positive":   cty.StringVal(synth.PositiveLabel),
				"text":       cty.StringVal("text"),
				"on_invalid": cty.StringVal("skip"),
				"features":   cty.ObjectVal(map[string]cty.Value{"prefix": cty.StringVal("e"), "dim": cty.NumberIntVal(3)}),
			}
			if layout == "column" {
				m["features"] = cty.ObjectVal(map[string]cty.Value{"column": cty.StringVal("v"), "dim": cty.NumberIntVal(3)})
			}
			return m
		}
		for _, layout := range []string{"wide", "column"} {
			old := csvBlockSize
			csvBlockSize = 7
			small, errSmall := run(t, newTestEnv(t, 3), dir, attrs(layout))
			csvBlockSize = old
			whole, errWhole := run(t, newTestEnv(t, 1), dir, attrs(layout))
			if (errSmall == nil) != (errWhole == nil) {
				t.Fatalf("%s: tiny blocks: %v; one block: %v", layout, errSmall, errWhole)
			}
			if errSmall == nil && !small["data"].RawEquals(whole["data"]) {
				t.Fatalf("%s: tiny blocks and one block give different datasets", layout)
			}
		}
	})
}

// FuzzParquet feeds arbitrary bytes to the Parquet reader: load must
// return an error naming the file or a dataset, never panic.
func FuzzParquet(f *testing.F) {
	g := synth.Generate(synth.Config{N: 5, Dim: 3, Rank: 1, Seed: 1})
	for _, o := range []synth.FileOptions{{Prefix: "e"}, {Layout: synth.Column, Column: "v", RowGroupRows: 2}} {
		var b bytes.Buffer
		if err := synth.WriteParquet(&b, g.Dataset, o); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	// A fixed-size list column with its Arrow schema stored, and one
	// with a null row that only the stored schema calls fixed-size.
	seeds := f.TempDir()
	listRows{n: 4, dim: 3}.write(f, filepath.Join(seeds, "fsl.parquet"), arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Float32), true, nil)
	listRows{n: 4, dim: 3, nulls: map[int]bool{1: true}}.write(f, filepath.Join(seeds, "null.parquet"), arrow.ListOf(arrow.PrimitiveTypes.Float32), false,
		arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String}, {Name: "label", Type: arrow.PrimitiveTypes.Int64},
			{Name: "v", Type: arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Float32), Nullable: true},
			{Name: "w", Type: arrow.PrimitiveTypes.Float64}, {Name: "text", Type: arrow.BinaryTypes.String}}, nil))
	for _, name := range []string{"fsl.parquet", "null.parquet"} {
		b, err := os.ReadFile(filepath.Join(seeds, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "f.parquet"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, features := range []cty.Value{
			cty.ObjectVal(map[string]cty.Value{"prefix": cty.StringVal("e"), "dim": cty.NumberIntVal(3)}),
			cty.ObjectVal(map[string]cty.Value{"column": cty.StringVal("v"), "dim": cty.NumberIntVal(3)}),
		} {
			_, err := run(t, newTestEnv(t, 2), dir, map[string]cty.Value{
				"path":       cty.StringVal("f.parquet"),
				"positive":   cty.StringVal(synth.PositiveLabel),
				"on_invalid": cty.StringVal("skip"),
				"features":   features,
			})
			if err != nil && !bytes.Contains([]byte(err.Error()), []byte("f.parquet")) {
				t.Fatalf("error does not name the file: %v", err)
			}
		}
	})
}
