package load

import (
	"os"
	"strconv"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	arrowcsv "github.com/apache/arrow/go/v15/arrow/csv"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

// arrowCSVSchema is the typed schema Arrow's CSV reader needs for the
// generator's wide CSV.
func arrowCSVSchema(dim int) *arrow.Schema {
	fields := []arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String}, {Name: "text", Type: arrow.BinaryTypes.String},
		{Name: "label", Type: arrow.BinaryTypes.String}}
	for j := 0; j < dim; j++ {
		fields = append(fields, arrow.Field{Name: "emb_" + strconv.Itoa(j), Type: arrow.PrimitiveTypes.Float32})
	}
	return arrow.NewSchema(fields, nil)
}

// readArrowCSV reads a wide CSV with Arrow's CSV reader into a row-major
// matrix, labels and texts.
func readArrowCSV(t testing.TB, path string, dim int) (x []float32, labels, texts []string, rows int) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := arrowcsv.NewReader(f, arrowCSVSchema(dim), arrowcsv.WithHeader(true), arrowcsv.WithChunk(4096))
	defer r.Release()
	for r.Next() {
		rec := r.Record()
		n := int(rec.NumRows())
		base := len(x)
		x = append(x, make([]float32, n*dim)...)
		for j := 0; j < dim; j++ {
			for i, v := range rec.Column(3 + j).(*array.Float32).Float32Values() {
				x[base+i*dim+j] = v
			}
		}
		for i := 0; i < n; i++ {
			labels = append(labels, rec.Column(2).(*array.String).Value(i))
			texts = append(texts, rec.Column(1).(*array.String).Value(i))
		}
		rows += n
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return x, labels, texts, rows
}

// TestAgainstArrowCSV: our CSV reader gives exactly what Arrow's reads.
func TestAgainstArrowCSV(t *testing.T) {
	g := synth.Generate(synth.Config{N: 400, Dim: 32, Rank: 4, Seed: 9})
	g.Texts[5] = "with \"quotes\", commas\nand a line break"
	dir := t.TempDir()
	path := writeFile(t, dir, "g.csv", g.Dataset, synth.FileOptions{})
	x, labels, texts, rows := readArrowCSV(t, path, 32)
	env := newTestEnv(t, 2)
	out, err := run(t, env, dir, wide(32, map[string]cty.Value{"path": cty.StringVal("g.csv")}))
	if err != nil {
		t.Fatal(err)
	}
	d := open(t, env, out["data"])
	if d.N != rows {
		t.Fatalf("%d rows, Arrow read %d", d.N, rows)
	}
	for i, v := range x {
		if d.X[i] != v {
			t.Fatalf("row %d, feature %d: %v, Arrow read %v", i/32, i%32, d.X[i], v)
		}
	}
	for i := range labels {
		if (labels[i] == synth.PositiveLabel) != (d.Y[i] == 1) || texts[i] != d.Texts[i] {
			t.Fatalf("row %d: label %q text %q, Arrow read %q %q", i, d.Y[i], d.Texts[i], labels[i], texts[i])
		}
	}
}
