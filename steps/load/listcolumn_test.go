package load

import (
	"encoding/base64"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/flight"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"github.com/zclconf/go-cty/cty"
)

// listRows is the small table the list-column tests write: row i has
// label 1 when i%3 == 0 (else 0), weight i/4, id "r<i>", text "text <i>",
// and embedding value k equal to (i*dim+k)/7, null where nulls says.
type listRows struct {
	n, dim int
	nulls  map[int]bool // rows whose embedding is null
}

func (r listRows) value(i, k int) float64 { return float64(i*r.dim+k) / 7 }

// appendVector appends row i's embedding to a list or fixed-size list
// builder of float or double.
func (r listRows) appendVector(b array.Builder, i int) {
	var values array.Builder
	switch lb := b.(type) {
	case *array.ListBuilder:
		if r.nulls[i] {
			lb.AppendNull()
			return
		}
		lb.Append(true)
		values = lb.ValueBuilder()
	case *array.FixedSizeListBuilder:
		lb.Append(true) // arrow v15's writer cannot write a null fixed-size list
		values = lb.ValueBuilder()
	default:
		panic(fmt.Sprintf("not a list builder: %T", b))
	}
	for k := 0; k < r.dim; k++ {
		switch vb := values.(type) {
		case *array.Float32Builder:
			vb.Append(float32(r.value(i, k)))
		case *array.Float64Builder:
			vb.Append(r.value(i, k))
		}
	}
}

// write writes the rows to path with pqarrow, the vector column typed
// vecType. With storeSchema the Arrow schema goes into the file's
// metadata, as pyarrow and pqarrow.WithStoreSchema do: that is what makes
// a reader give back a fixed-size list rather than a plain list.
// claimed, when not nil, is written as that stored schema instead.
func (r listRows) write(t testing.TB, path string, vecType arrow.DataType, storeSchema bool, claimed *arrow.Schema) {
	t.Helper()
	fields := []arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String},
		{Name: "label", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: vecType, Nullable: true},
		{Name: "w", Type: arrow.PrimitiveTypes.Float64},
		{Name: "text", Type: arrow.BinaryTypes.String},
	}
	var meta *arrow.Metadata
	if claimed != nil {
		m := arrow.NewMetadata([]string{"ARROW:schema"},
			[]string{base64.StdEncoding.EncodeToString(flight.SerializeSchema(claimed, memory.DefaultAllocator))})
		meta = &m
	}
	schema := arrow.NewSchema(fields, meta)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := 0; i < r.n; i++ {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("r%d", i))
		label := int64(0)
		if i%3 == 0 {
			label = 1
		}
		b.Field(1).(*array.Int64Builder).Append(label)
		r.appendVector(b.Field(2), i)
		b.Field(3).(*array.Float64Builder).Append(float64(i) / 4)
		b.Field(4).(*array.StringBuilder).Append(fmt.Sprintf("text %d", i))
	}
	rec := b.NewRecord()
	defer rec.Release()
	props := pqarrow.DefaultWriterProps()
	if storeSchema {
		props = pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema())
	}
	writeParquet(t, path, rec, nil, props)
}

// storedType is the type an Arrow reader gives the column v of a file.
func storedType(t *testing.T, path string) arrow.DataType {
	t.Helper()
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	schema, err := fr.Schema()
	if err != nil {
		t.Fatal(err)
	}
	i := schema.FieldIndices("v")
	if len(i) != 1 {
		t.Fatalf("%s has no column v: %s", path, schema)
	}
	return schema.Field(i[0]).Type
}

func listAttrs(dim int, more map[string]cty.Value) map[string]cty.Value {
	m := map[string]cty.Value{
		"path":     cty.StringVal("d.parquet"),
		"positive": cty.NumberIntVal(1),
		"negative": cty.NumberIntVal(0),
		"features": cty.ObjectVal(map[string]cty.Value{"column": cty.StringVal("v"), "dim": cty.NumberIntVal(int64(dim))}),
		"id":       cty.StringVal("id"),
		"text":     cty.StringVal("text"),
		"weight":   cty.StringVal("w"),
	}
	for k, v := range more {
		m[k] = v
	}
	return m
}

// TestParquetListColumns reads an embedding column written by pqarrow as
// a list and as a fixed-size list, of float and of double, with the
// integer labels, ids, texts and weights carried through. Each file keeps
// its Arrow schema, so the reader really meets the fixed-size type
// (checked before the step runs). Large lists are left out: arrow v15
// neither writes them to Parquet nor reads a Parquet list back as one.
func TestParquetListColumns(t *testing.T) {
	r := listRows{n: 40, dim: 5}
	f32, f64 := arrow.PrimitiveTypes.Float32, arrow.PrimitiveTypes.Float64
	for _, ty := range []arrow.DataType{
		arrow.ListOf(f32), arrow.ListOf(f64),
		arrow.FixedSizeListOf(5, f32), arrow.FixedSizeListOf(5, f64),
	} {
		t.Run(ty.String(), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "d.parquet")
			r.write(t, path, ty, true, nil)
			if got := storedType(t, path); !arrow.TypeEqual(got, ty) {
				t.Fatalf("the file reads back as %s, not %s: the test would not test %s", got, ty, ty)
			}
			env := newTestEnv(t, 2)
			out, err := run(t, env, dir, listAttrs(5, nil))
			if err != nil {
				t.Fatal(err)
			}
			d := open(t, env, out["data"])
			if d.N != r.n || d.Dim != r.dim || num(out["positives"]) != 14 {
				t.Fatalf("%d×%d rows, %v positive", d.N, d.Dim, out["positives"])
			}
			for i := 0; i < r.n; i++ {
				for k := 0; k < r.dim; k++ {
					if want := float32(r.value(i, k)); d.X[i*r.dim+k] != want {
						t.Fatalf("row %d value %d: %v, want %v", i, k, d.X[i*r.dim+k], want)
					}
				}
				if d.Y[i] != uint8(boolInt(i%3 == 0)) || d.W[i] != float64(i)/4 ||
					d.IDs[i] != fmt.Sprintf("r%d", i) || d.Texts[i] != fmt.Sprintf("text %d", i) {
					t.Fatalf("row %d: label %d weight %v id %q text %q", i, d.Y[i], d.W[i], d.IDs[i], d.Texts[i])
				}
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestParquetFixedSizeListNulls: pyarrow writes a missing embedding in a
// fixed-size list column as a null list. Arrow v15's reader refuses such a
// column whole; load reads it as the list it is stored as, so the null is
// an invalid row that names its row and column, and skip drops it.
func TestParquetFixedSizeListNulls(t *testing.T) {
	r := listRows{n: 12, dim: 3, nulls: map[int]bool{2: true, 7: true}}
	fsl := arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Float32)
	claimed := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String},
		{Name: "label", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: fsl, Nullable: true},
		{Name: "w", Type: arrow.PrimitiveTypes.Float64},
		{Name: "text", Type: arrow.BinaryTypes.String},
	}, nil)
	dir := t.TempDir()
	path := filepath.Join(dir, "d.parquet")
	// Written as a list with the nulls, the stored schema saying
	// fixed-size list: the file pyarrow writes.
	r.write(t, path, arrow.ListOf(arrow.PrimitiveTypes.Float32), false, claimed)
	if got := storedType(t, path); !arrow.TypeEqual(got, fsl) {
		t.Fatalf("the file reads back as %s, not %s", got, fsl)
	}

	_, err := run(t, newTestEnv(t, 2), dir, listAttrs(3, nil))
	if err == nil {
		t.Fatal("no error for null embeddings")
	}
	for _, want := range []string{"load: 2 invalid rows", "d.parquet row 3, column v: empty (null) embedding", "d.parquet row 8, column v: empty (null) embedding"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\ndoes not contain %q", err, want)
		}
	}

	env := newTestEnv(t, 2)
	out, err := run(t, env, dir, listAttrs(3, map[string]cty.Value{"on_invalid": cty.StringVal("skip")}))
	if err != nil {
		t.Fatal(err)
	}
	d := open(t, env, out["data"])
	if num(out["skipped"]) != 2 || d.N != 10 {
		t.Fatalf("skipped %v, %d rows kept", out["skipped"], d.N)
	}
	var kept []string
	for i := 0; i < r.n; i++ {
		if !r.nulls[i] {
			kept = append(kept, fmt.Sprintf("r%d", i))
		}
	}
	if !slices.Equal(d.IDs, kept) || d.X[2*3] != float32(r.value(3, 0)) {
		t.Errorf("kept ids %v, row 2 starts %v", d.IDs, d.X[2*3])
	}
}

// TestParquetFixedSizeListWidth: a fixed-size list of another width than
// features.dim is a problem with the file, said once, not once a row.
func TestParquetFixedSizeListWidth(t *testing.T) {
	dir := t.TempDir()
	listRows{n: 6, dim: 4}.write(t, filepath.Join(dir, "d.parquet"), arrow.FixedSizeListOf(4, arrow.PrimitiveTypes.Float32), true, nil)
	_, err := run(t, newTestEnv(t, 2), dir, listAttrs(3, map[string]cty.Value{"on_invalid": cty.StringVal("skip")}))
	want := "load: d.parquet: column v is a fixed-size list of 4 values, features.dim is 3. Set features.dim to 4"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v\nwant %q", err, want)
	}
}
