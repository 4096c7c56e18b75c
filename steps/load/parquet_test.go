package load

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

// writeRecord writes a one-record Parquet file built by fill.
func writeRecord(t testing.TB, path string, fields []arrow.Field, fill func(b *array.RecordBuilder)) {
	t.Helper()
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	fill(b)
	rec := b.NewRecord()
	defer rec.Release()
	writeParquet(t, path, rec, nil, pqarrow.DefaultWriterProps())
}

// writeParquet writes rec as a Parquet file at path, with the given
// writer properties (nil for the defaults).
func writeParquet(t testing.TB, path string, rec arrow.Record, props *parquet.WriterProperties, arrowProps pqarrow.ArrowWriterProperties) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(rec.Schema(), f, props, arrowProps)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidParquet(t *testing.T) {
	f64 := arrow.PrimitiveTypes.Float64
	wideFields := []arrow.Field{{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "e0", Type: f64, Nullable: true}, {Name: "e1", Type: f64, Nullable: true}, {Name: "e2", Type: f64, Nullable: true}}
	fillWide := func(labels []string, rows [][3]float64, nulls map[[2]int]bool) func(b *array.RecordBuilder) {
		return func(b *array.RecordBuilder) {
			for i, l := range labels {
				if nulls[[2]int{i, 0}] {
					b.Field(0).AppendNull()
				} else {
					b.Field(0).(*array.StringBuilder).Append(l)
				}
				for j := 0; j < 3; j++ {
					if nulls[[2]int{i, j + 1}] {
						b.Field(j + 1).AppendNull()
					} else {
						b.Field(j + 1).(*array.Float64Builder).Append(rows[i][j])
					}
				}
			}
		}
	}
	ok := [3]float64{1, 2, 3}
	cases := []struct {
		name   string
		fields []arrow.Field
		fill   func(b *array.RecordBuilder)
		attrs  map[string]cty.Value
		want   string
	}{
		{"null feature", wideFields, fillWide([]string{"yes", "no", "no"}, [][3]float64{ok, ok, ok}, map[[2]int]bool{{2, 2}: true}), nil,
			"d.parquet row 3, column e1: empty (null) value"},
		{"null label", wideFields, fillWide([]string{"yes", "no", "no"}, [][3]float64{ok, ok, ok}, map[[2]int]bool{{1, 0}: true}), nil,
			"d.parquet row 2, column label: empty (null) value"},
		{"nan", wideFields, fillWide([]string{"yes", "no", "no"}, [][3]float64{ok, {1, math.NaN(), 3}, ok}, nil), nil,
			"d.parquet row 2, column e1: NaN is not a finite float32"},
		{"out of float32 range", wideFields, fillWide([]string{"yes", "no", "no"}, [][3]float64{ok, ok, {1, 2, 1e300}}, nil), nil,
			"d.parquet row 3, column e2: +Inf is not a finite float32"},
		{"neither class", wideFields, fillWide([]string{"yes", "maybe", "no"}, [][3]float64{ok, ok, ok}, nil), map[string]cty.Value{"negative": cty.StringVal("no")},
			`d.parquet row 2, column label: label "maybe" is neither`},
		{"third class", wideFields, fillWide([]string{"yes", "no", "no", "maybe", "maybe", "maybe"}, [][3]float64{ok, ok, ok, ok, ok, ok}, nil), nil,
			`d.parquet row 4, column label: label "maybe" is a third class: the column holds 3 classes, "yes" (1 row, the positive), "maybe" (3 rows), "no" (2 rows). A classifier here has two: set negative = "no"`},
		{"list width", []arrow.Field{{Name: "label", Type: arrow.BinaryTypes.String}, {Name: "v", Type: arrow.ListOf(arrow.PrimitiveTypes.Float32)}},
			func(b *array.RecordBuilder) {
				lb := b.Field(1).(*array.ListBuilder)
				vb := lb.ValueBuilder().(*array.Float32Builder)
				for i, n := range []int{3, 3, 4} {
					b.Field(0).(*array.StringBuilder).Append([]string{"yes", "no", "no"}[i])
					lb.Append(true)
					for k := 0; k < n; k++ {
						vb.Append(1)
					}
				}
			}, map[string]cty.Value{"features": cty.ObjectVal(map[string]cty.Value{"column": cty.StringVal("v"), "dim": cty.NumberIntVal(3)})},
			"d.parquet row 3, column v: the embedding has 4 values, features.dim is 3"},
		{"feature type", []arrow.Field{{Name: "label", Type: arrow.BinaryTypes.String}, {Name: "e0", Type: arrow.BinaryTypes.String},
			{Name: "e1", Type: f64}, {Name: "e2", Type: f64}},
			func(b *array.RecordBuilder) {
				b.Field(0).(*array.StringBuilder).Append("yes")
				b.Field(1).(*array.StringBuilder).Append("1")
				b.Field(2).(*array.Float64Builder).Append(1)
				b.Field(3).(*array.Float64Builder).Append(1)
			}, nil, "d.parquet: column e0 is utf8, want float or double"},
		{"no rows", wideFields, fillWide(nil, nil, nil), nil, "d.parquet: the file has no rows"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeRecord(t, filepath.Join(dir, "d.parquet"), tc.fields, tc.fill)
			attrs := small(tc.attrs)
			attrs["path"] = cty.StringVal("d.parquet")
			_, err := run(t, newTestEnv(t, 2), dir, attrs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant %q", err, tc.want)
			}
		})
	}
}

// TestCorruptParquet cuts a file at many points and flips bytes: every
// failure is an error naming the file, never a panic.
func TestCorruptParquet(t *testing.T) {
	g := synth.Generate(synth.Config{N: 40, Dim: 4, Rank: 1, Seed: 1})
	var buf bytes.Buffer
	if err := synth.WriteParquet(&buf, g.Dataset, synth.FileOptions{RowGroupRows: 16}); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	dir := t.TempDir()
	attrs := wide(4, map[string]cty.Value{"path": cty.StringVal("c.parquet")})
	step := 13
	if testing.Short() {
		step = 41
	}
	try := func(b []byte) {
		t.Helper()
		os.WriteFile(filepath.Join(dir, "c.parquet"), b, 0o644)
		_, err := run(t, newTestEnv(t, 1), dir, attrs)
		if err != nil && !strings.Contains(err.Error(), "c.parquet") {
			t.Fatalf("error does not name the file: %v", err)
		}
	}
	for n := 0; n < len(good); n += step {
		try(good[:n])
	}
	for i := 0; i < len(good); i += step * 3 {
		c := bytes.Clone(good)
		c[i] ^= 0x5a
		try(c)
	}
	try([]byte("PAR1 this is not parquet PAR1"))

	// A damaged page (the footer intact): the message says which column
	// and from which row, not only which file.
	named := false
	for i := 4; i < 64 && !named; i++ {
		c := bytes.Clone(good)
		c[i] ^= 0xff
		os.WriteFile(filepath.Join(dir, "c.parquet"), c, 0o644)
		_, err := run(t, newTestEnv(t, 1), dir, attrs)
		named = err != nil && regexp.MustCompile(`c\.parquet: not a readable Parquet file \(column \w+, in the rows from \d+ on: `).MatchString(err.Error())
	}
	if !named {
		t.Error("no damaged page among the first 64 bytes gave a message naming its column and rows")
	}
}

// TestParquetWideEncodings reads wide columns written every way arrow's
// Parquet writer can write them (codecs, dictionary pages that fall back
// to plain, data page versions, many small pages and row groups, nullable
// float and double columns, a struct column before the features so that
// column chunks and fields are numbered differently) and compares every
// value with what was written.
func TestParquetWideEncodings(t *testing.T) {
	const n, dim = 300, 5
	// Values repeat in some columns (so that dictionaries pay) and not in
	// others; a few are null.
	value := func(i, j int) float64 {
		if j%2 == 0 {
			return float64((i*7+j)%5) / 4
		}
		return float64(i*dim+j) / 3
	}
	isNull := func(i, j int) bool { return (i*13+j*5)%97 == 0 }
	cases := []struct {
		name  string
		typ   arrow.DataType
		props []parquet.WriterProperty
	}{
		{"plain uncompressed", arrow.PrimitiveTypes.Float32, []parquet.WriterProperty{parquet.WithDictionaryDefault(false)}},
		{"dictionary snappy", arrow.PrimitiveTypes.Float32, []parquet.WriterProperty{parquet.WithCompression(compress.Codecs.Snappy)}},
		{"dictionary fallback gzip", arrow.PrimitiveTypes.Float32, []parquet.WriterProperty{parquet.WithCompression(compress.Codecs.Gzip),
			parquet.WithDictionaryPageSizeLimit(40), parquet.WithDataPageSize(64)}},
		{"pages v2 zstd", arrow.PrimitiveTypes.Float32, []parquet.WriterProperty{parquet.WithCompression(compress.Codecs.Zstd),
			parquet.WithDataPageVersion(parquet.DataPageV2), parquet.WithDataPageSize(100), parquet.WithBatchSize(16)}},
		{"double small groups", arrow.PrimitiveTypes.Float64, []parquet.WriterProperty{parquet.WithMaxRowGroupLength(37),
			parquet.WithDataPageSize(64), parquet.WithBatchSize(8)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			meta := arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32}, arrow.Field{Name: "b", Type: arrow.PrimitiveTypes.Int32})
			fields := []arrow.Field{{Name: "label", Type: arrow.BinaryTypes.String}, {Name: "meta", Type: meta}}
			for j := 0; j < dim; j++ {
				fields = append(fields, arrow.Field{Name: "emb_" + strconv.Itoa(j), Type: tc.typ, Nullable: true})
			}
			schema := arrow.NewSchema(fields, nil)
			b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
			defer b.Release()
			var want []float32
			nulls := 0
			for i := 0; i < n; i++ {
				b.Field(0).(*array.StringBuilder).Append([]string{"yes", "no"}[i%3%2])
				sb := b.Field(1).(*array.StructBuilder)
				sb.Append(true)
				sb.FieldBuilder(0).(*array.Int32Builder).Append(int32(i))
				sb.FieldBuilder(1).(*array.Int32Builder).Append(int32(-i))
				bad := false
				for j := 0; j < dim; j++ {
					fb := b.Field(2 + j)
					switch {
					case isNull(i, j):
						fb.AppendNull()
						bad = true
					case tc.typ == arrow.PrimitiveTypes.Float32:
						fb.(*array.Float32Builder).Append(float32(value(i, j)))
					default:
						fb.(*array.Float64Builder).Append(value(i, j))
					}
				}
				if bad {
					nulls++
					continue
				}
				for j := 0; j < dim; j++ {
					want = append(want, float32(value(i, j)))
				}
			}
			rec := b.NewRecord()
			defer rec.Release()
			dir := t.TempDir()
			writeParquet(t, filepath.Join(dir, "d.parquet"), rec, parquet.NewWriterProperties(tc.props...), pqarrow.DefaultWriterProps())
			if nulls == 0 {
				t.Fatal("the test data has no nulls")
			}

			env := newTestEnv(t, 2)
			attrs := map[string]cty.Value{
				"path":       cty.StringVal("d.parquet"),
				"positive":   cty.StringVal("yes"),
				"features":   cty.ObjectVal(map[string]cty.Value{"prefix": cty.StringVal("emb_"), "dim": cty.NumberIntVal(dim)}),
				"on_invalid": cty.StringVal("skip"),
			}
			out, err := run(t, env, dir, attrs)
			if err != nil {
				t.Fatal(err)
			}
			if got := num(out["skipped"]); got != nulls {
				t.Errorf("skipped %d rows, want the %d with a null", got, nulls)
			}
			d := open(t, env, out["data"])
			if !slices.Equal(d.X, want) {
				for i := range min(len(d.X), len(want)) {
					if d.X[i] != want[i] {
						t.Fatalf("kept row %d, feature %d: got %v, want %v", i/dim, i%dim, d.X[i], want[i])
					}
				}
				t.Fatalf("got %d values, want %d", len(d.X), len(want))
			}
		})
	}
}
