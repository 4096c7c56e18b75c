package load

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/dataset"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
	"github.com/pipe-ml/pipe/steps/steptest"
)

// bothWays reads the files attrs names from dir by streaming and by the
// whole read, each in a fresh Env, and returns their outputs and errors.
func bothWays(t *testing.T, dir string, attrs map[string]cty.Value) (streamed, whole steps.Outputs, serr, werr error) {
	t.Helper()
	for k, read := range []func(context.Context, steps.Env, *config, []steps.File) (steps.Outputs, error){streamParquet, readWhole} {
		env := steptest.NewEnv(t, steptest.Dir(dir))
		in, err := env.Inputs(Kind{}, attrs)
		if err != nil {
			t.Fatal(err)
		}
		c, errs := parseConfig(in.Config, false)
		if len(errs) > 0 {
			t.Fatal(errs[0])
		}
		if !streamable(c, in.Files) {
			t.Fatalf("%v: not streamable", attrs["path"])
		}
		out, err := read(t.Context(), env, c, in.Files)
		if k == 0 {
			streamed, serr = out, err
		} else {
			whole, werr = out, err
		}
	}
	return streamed, whole, serr, werr
}

// TestStreamSameBytes: streaming Parquet writes the very datasets the
// whole read does (the same digests and outputs), for one row group or
// many (the last one short), several files, float64 features, a width
// that is not a multiple of the 16 columns decoded together, row groups
// that take several of the writer's blocks, and split into train and
// test (stratified, by groups).
func TestStreamSameBytes(t *testing.T) {
	g := synth.Generate(synth.Config{N: 300, Dim: 37, Rank: 3, Seed: 11})
	wideRows := synth.Generate(synth.Config{N: 1200, Dim: 2000, Rank: 2, Seed: 12}) // 262 rows a block
	split := map[string]cty.Value{"test": cty.NumberFloatVal(0.25), "seed": cty.NumberIntVal(7), "stratify": cty.True}
	grouped := map[string]cty.Value{"test": cty.NumberFloatVal(0.3), "seed": cty.NumberIntVal(3), "group": cty.StringVal("text")}
	for _, tc := range []struct {
		name  string
		d     *dataset.Dataset
		files map[string]synth.FileOptions
		split map[string]cty.Value
	}{
		{"one row group", g.Dataset, map[string]synth.FileOptions{"a.parquet": {}}, nil},
		{"row groups of 64", g.Dataset, map[string]synth.FileOptions{"a.parquet": {RowGroupRows: 64}}, nil},
		{"float64", g.Dataset, map[string]synth.FileOptions{"a.parquet": {Float64: true, RowGroupRows: 100}}, nil},
		{"two files", g.Dataset, map[string]synth.FileOptions{"a.parquet": {RowGroupRows: 50}, "b.pq": {}}, nil},
		{"several blocks a row group", wideRows.Dataset, map[string]synth.FileOptions{"a.parquet": {RowGroupRows: 1000}}, nil},
		{"split", g.Dataset, map[string]synth.FileOptions{"a.parquet": {RowGroupRows: 64}, "b.pq": {}}, split},
		{"split by groups", g.Dataset, map[string]synth.FileOptions{"a.parquet": {}}, grouped},
		{"split, several blocks", wideRows.Dataset, map[string]synth.FileOptions{"a.parquet": {RowGroupRows: 1000}}, split},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, o := range tc.files {
				writeFile(t, dir, name, tc.d, o)
			}
			attrs := wide(tc.d.Dim, map[string]cty.Value{"path": cty.StringVal(".")})
			if tc.split != nil {
				attrs["split"] = cty.ObjectVal(tc.split)
			}
			s, w, serr, werr := bothWays(t, dir, attrs)
			if serr != nil || werr != nil {
				t.Fatalf("streamed: %v; whole: %v", serr, werr)
			}
			if !cty.ObjectVal(s).RawEquals(cty.ObjectVal(w)) {
				t.Fatalf("streamed %#v\nwhole %#v", s, w)
			}
			env := newTestEnv(t, 2)
			out, err := run(t, env, dir, attrs)
			if err != nil {
				t.Fatal(err)
			}
			if !cty.ObjectVal(out).RawEquals(cty.ObjectVal(s)) {
				t.Fatalf("Run gave %#v, the stream %#v", out, s)
			}
		})
	}
}

// TestStreamWeights: a weight column goes into the streamed dataset as
// the whole read puts it.
func TestStreamWeights(t *testing.T) {
	dir := t.TempDir()
	f32 := arrow.PrimitiveTypes.Float32
	fields := []arrow.Field{{Name: "label", Type: arrow.BinaryTypes.String}, {Name: "w", Type: arrow.PrimitiveTypes.Float64},
		{Name: "emb_0", Type: f32}, {Name: "emb_1", Type: f32}}
	writeRecord(t, filepath.Join(dir, "w.parquet"), fields, func(b *array.RecordBuilder) {
		for i := range 50 {
			b.Field(0).(*array.StringBuilder).Append(map[bool]string{true: synth.PositiveLabel, false: synth.NegativeLabel}[i%3 == 0])
			b.Field(1).(*array.Float64Builder).Append(float64(i) / 7)
			b.Field(2).(*array.Float32Builder).Append(float32(i))
			b.Field(3).(*array.Float32Builder).Append(-float32(i) / 3)
		}
	})
	attrs := map[string]cty.Value{"path": cty.StringVal("w.parquet"), "positive": cty.StringVal(synth.PositiveLabel), "weight": cty.StringVal("w"),
		"features": cty.ObjectVal(map[string]cty.Value{"prefix": cty.StringVal("emb_"), "dim": cty.NumberIntVal(2)})}
	s, w, serr, werr := bothWays(t, dir, attrs)
	if serr != nil || werr != nil {
		t.Fatalf("streamed: %v; whole: %v", serr, werr)
	}
	if !s["data"].RawEquals(w["data"]) {
		t.Fatalf("streamed %#v\nwhole %#v", s["data"], w["data"])
	}
}

// badInput runs the step on dir's files and checks that it fails with
// the whole read's error, which names the file, the row and the column
// (want). (What a failed write leaves in the store, nothing, is
// engine/store's Put's to test.)
func badInput(t *testing.T, dir string, attrs map[string]cty.Value, want string) {
	t.Helper()
	env := newTestEnv(t, 2)
	_, err := run(t, env, dir, attrs)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want an error saying %q", err, want)
	}
	_, _, serr, werr := bothWays(t, dir, attrs)
	if !errors.Is(serr, errNotStreamed) || werr == nil || werr.Error() != err.Error() {
		t.Fatalf("the stream said %v, the whole read %v; Run %v", serr, werr, err)
	}
}

// TestStreamBadInput: rows the stream cannot write (found after earlier
// row groups were written) and broken files fail as the whole read
// fails, naming the file, row and column; with
// on_invalid = "skip" the rows are dropped as before.
func TestStreamBadInput(t *testing.T) {
	g := synth.Generate(synth.Config{N: 300, Dim: 20, Rank: 2, Seed: 3})
	withNaN := dataset.Dataset(*g.Dataset)
	withNaN.X = append([]float32(nil), g.X...)
	withNaN.X[250*20+5] = float32(math.NaN())
	dir := t.TempDir()
	writeFile(t, dir, "nan.parquet", &withNaN, synth.FileOptions{RowGroupRows: 64})
	badInput(t, dir, wide(20, map[string]cty.Value{"path": cty.StringVal("nan.parquet")}),
		"nan.parquet row 251, column emb_5: NaN is not a finite float32")

	// A split that leaves the test set empty.
	writeFile(t, dir, "ok.parquet", g.Dataset, synth.FileOptions{})
	badInput(t, dir, wide(20, map[string]cty.Value{"path": cty.StringVal("ok.parquet"),
		"split": cty.ObjectVal(map[string]cty.Value{"test": cty.NumberFloatVal(0.001)})}), "leaves the test set empty")

	out, err := run(t, newTestEnv(t, 2), dir, wide(20, map[string]cty.Value{"path": cty.StringVal("nan.parquet"), "on_invalid": cty.StringVal("skip")}))
	if err != nil || num(out["rows"]) != 299 || num(out["skipped"]) != 1 {
		t.Fatalf("skip: %v, outputs %v", err, out)
	}

	// A null in a feature column, in the last row group.
	f32 := arrow.PrimitiveTypes.Float32
	writeRecord(t, filepath.Join(dir, "null.parquet"), []arrow.Field{{Name: "label", Type: arrow.BinaryTypes.String},
		{Name: "emb_0", Type: f32, Nullable: true}, {Name: "emb_1", Type: f32, Nullable: true}}, func(b *array.RecordBuilder) {
		for i := range 40 {
			b.Field(0).(*array.StringBuilder).Append(map[bool]string{true: synth.PositiveLabel, false: synth.NegativeLabel}[i%2 == 0])
			b.Field(1).(*array.Float32Builder).Append(float32(i))
			if i == 37 {
				b.Field(2).AppendNull()
			} else {
				b.Field(2).(*array.Float32Builder).Append(1)
			}
		}
	})
	badInput(t, dir, wide(2, map[string]cty.Value{"path": cty.StringVal("null.parquet"), "id": cty.NullVal(cty.String), "text": cty.NullVal(cty.String)}),
		"null.parquet row 38, column emb_1: empty (null) value")

	// A string column among the features.
	writeRecord(t, filepath.Join(dir, "text.parquet"), []arrow.Field{{Name: "label", Type: arrow.BinaryTypes.String},
		{Name: "emb_0", Type: f32}, {Name: "emb_1", Type: arrow.BinaryTypes.String}}, func(b *array.RecordBuilder) {
		for i := range 10 {
			b.Field(0).(*array.StringBuilder).Append(map[bool]string{true: synth.PositiveLabel, false: synth.NegativeLabel}[i%2 == 0])
			b.Field(1).(*array.Float32Builder).Append(float32(i))
			b.Field(2).(*array.StringBuilder).Append("0.5")
		}
	})
	badInput(t, dir, wide(2, map[string]cty.Value{"path": cty.StringVal("text.parquet"), "id": cty.NullVal(cty.String), "text": cty.NullVal(cty.String)}),
		"text.parquet: column emb_1 is utf8, want float or double")

	// A truncated file, and one whose page header in the third row group
	// is overwritten: the stream has written two row groups when it meets it.
	whole, err := os.ReadFile(filepath.Join(dir, "nan.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "good.parquet", g.Dataset, synth.FileOptions{RowGroupRows: 64})
	good, err := os.ReadFile(filepath.Join(dir, "good.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "cut.parquet"), whole[:len(whole)/2], 0o644)
	badInput(t, dir, wide(20, map[string]cty.Value{"path": cty.StringVal("cut.parquet")}), "cut.parquet: not a readable Parquet file")

	pf, err := file.OpenParquetFile(filepath.Join(dir, "good.parquet"), false)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := pf.MetaData().RowGroup(2).ColumnChunk(7)
	if err != nil {
		t.Fatal(err)
	}
	at := cc.DataPageOffset()
	pf.Close()
	for i := range 8 {
		good[at+int64(i)] = 0xff
	}
	os.WriteFile(filepath.Join(dir, "page.parquet"), good, 0o644)
	badInput(t, dir, wide(20, map[string]cty.Value{"path": cty.StringVal("page.parquet")}),
		"page.parquet: not a readable Parquet file (column emb_4, in the rows from 129 on: ")
}

// BenchmarkRowWriter transposes and queues 100k × 584 column-major
// values (the second half of streaming a file of one row group) for a
// write that discards them.
func BenchmarkRowWriter(b *testing.B) {
	const n, dim = 100_000, 584
	cols := make([]float32, n*dim)
	for i := range cols {
		cols[i] = float32(i)
	}
	b.SetBytes(int64(len(cols) * 4))
	for b.Loop() {
		s := newRowSink(dim)
		drained := make(chan error)
		go func() { drained <- s.drain(io.Discard) }()
		err := (&rowRouter{dim: dim, sinks: []*rowSink{s}}).write(b.Context(), cols, n, 0)
		s.finish(err)
		if err := <-drained; err != nil {
			b.Fatal(err)
		}
	}
}

// TestStreamCancel: cancelling the step while it streams (here at its
// first progress report, after the first row group's first columns)
// stops it with the context's error; nothing waits forever.
func TestStreamCancel(t *testing.T) {
	g := synth.Generate(synth.Config{N: 600, Dim: 40, Rank: 2, Seed: 4})
	dir := t.TempDir()
	writeFile(t, dir, "a.parquet", g.Dataset, synth.FileOptions{RowGroupRows: 50})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	env := steptest.NewEnv(t, steptest.Dir(dir), steptest.OnProgress(func(int64, int64, string) { cancel() }))
	in, err := env.Inputs(Kind{}, wide(40, map[string]cty.Value{"path": cty.StringVal("a.parquet")}))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := parseConfig(in.Config, false)
	if _, err := streamParquet(ctx, env, c, in.Files); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want the context's error", err)
	}
}
