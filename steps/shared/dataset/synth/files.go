package synth

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"

	"github.com/pipe-ml/pipe/steps/shared/dataset"
)

// Layout is how the embedding is laid out in a file.
type Layout int

const (
	// Wide writes one float column per dimension: emb_0, emb_1, ...
	Wide Layout = iota
	// Column writes one column holding the whole vector: a JSON array
	// string in CSV, a list<float32> in Parquet.
	Column
)

// LabelStyle is how labels are written.
type LabelStyle int

const (
	// StringLabels writes PositiveLabel and NegativeLabel.
	StringLabels LabelStyle = iota
	// IntLabels writes 1 and 0.
	IntLabels
	// BoolLabels writes true and false.
	BoolLabels
)

// Label values written with StringLabels.
const (
	PositiveLabel = "private"
	NegativeLabel = "public"
)

// Default column names.
const (
	DefaultPrefix = "emb_"
	DefaultColumn = "embedding"
)

// FileOptions say how to write a file. The zero value writes the wide
// layout with string labels.
type FileOptions struct {
	Layout Layout
	Labels LabelStyle
	// Prefix names the wide columns (default DefaultPrefix); Column names
	// the vector column (default DefaultColumn).
	Prefix, Column string
	// Float64 writes Parquet features as float64, as pandas does.
	Float64 bool
	// RowGroupRows is the Parquet row group size (default 1<<20, so
	// files up to a million rows have one group, like pyarrow's).
	RowGroupRows int
}

func (o FileOptions) withDefaults() FileOptions {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Column == "" {
		o.Column = DefaultColumn
	}
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = 1 << 20
	}
	return o
}

func (o FileOptions) label(y uint8) string {
	switch o.Labels {
	case IntLabels:
		return strconv.Itoa(int(y))
	case BoolLabels:
		return strconv.FormatBool(y == 1)
	}
	if y == 1 {
		return PositiveLabel
	}
	return NegativeLabel
}

// WriteFile writes d to path as CSV (.csv) or Parquet (.parquet, .pq).
func WriteFile(path string, d *dataset.Dataset, o FileOptions) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		err = WriteCSV(f, d, o)
	case ".parquet", ".pq":
		err = WriteParquet(f, d, o)
	default:
		err = fmt.Errorf("synth: %s: unknown extension (want .csv, .parquet or .pq)", path)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("synth: %w", cerr)
	}
	return err
}

// WriteCSV writes d as CSV with a header: id, text, label, then the
// features (columns emb_0... or one quoted JSON array). Floats are
// written in the shortest form that reads back as the same float32.
func WriteCSV(w io.Writer, d *dataset.Dataset, o FileOptions) error {
	o = o.withDefaults()
	bw := bufio.NewWriterSize(w, 1<<20)
	line := []byte("id,text,label")
	if o.Layout == Wide {
		for j := 0; j < d.Dim; j++ {
			line = append(line, ',')
			line = append(line, o.Prefix...)
			line = strconv.AppendInt(line, int64(j), 10)
		}
	} else {
		line = append(line, ',')
		line = append(line, o.Column...)
	}
	line = append(line, '\n')
	for i := 0; i < d.N; i++ {
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("synth: %w", err)
		}
		line = line[:0]
		if d.IDs != nil {
			line = appendCSVField(line, d.IDs[i])
		}
		line = append(line, ',')
		if d.Texts != nil {
			line = appendCSVField(line, d.Texts[i])
		}
		line = append(line, ',')
		line = append(line, o.label(d.Y[i])...)
		if o.Layout == Wide {
			for _, x := range d.Row(i) {
				line = append(line, ',')
				line = strconv.AppendFloat(line, float64(x), 'g', -1, 32)
			}
		} else {
			line = append(line, ",\"["...)
			for j, x := range d.Row(i) {
				if j > 0 {
					line = append(line, ',')
				}
				line = strconv.AppendFloat(line, float64(x), 'g', -1, 32)
			}
			line = append(line, "]\""...)
		}
		line = append(line, '\n')
	}
	if _, err := bw.Write(line); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}

// appendCSVField appends s, quoted when RFC 4180 requires it.
func appendCSVField(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") && !strings.HasPrefix(s, " ") {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}

// WriteParquet writes d as Parquet, Snappy-compressed like pandas' files:
// id, text, label, then the features (float columns emb_0... or one list
// column).
func WriteParquet(w io.Writer, d *dataset.Dataset, o FileOptions) error {
	o = o.withDefaults()
	mem := memory.DefaultAllocator
	var labelType arrow.DataType = arrow.BinaryTypes.String
	switch o.Labels {
	case IntLabels:
		labelType = arrow.PrimitiveTypes.Int64
	case BoolLabels:
		labelType = arrow.FixedWidthTypes.Boolean
	}
	var floatType arrow.DataType = arrow.PrimitiveTypes.Float32
	if o.Float64 {
		floatType = arrow.PrimitiveTypes.Float64
	}
	fields := []arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String},
		{Name: "text", Type: arrow.BinaryTypes.String},
		{Name: "label", Type: labelType},
	}
	if o.Layout == Wide {
		for j := 0; j < d.Dim; j++ {
			fields = append(fields, arrow.Field{Name: o.Prefix + strconv.Itoa(j), Type: floatType})
		}
	} else {
		fields = append(fields, arrow.Field{Name: o.Column, Type: arrow.ListOf(floatType)})
	}
	schema := arrow.NewSchema(fields, nil)
	props := parquet.NewWriterProperties(
		parquet.WithAllocator(mem),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithDictionaryDefault(false),
		parquet.WithMaxRowGroupLength(int64(o.RowGroupRows)),
		parquet.WithCreatedBy("pipe synth"),
	)
	// The Parquet writer closes a writer that is an io.Closer; the caller
	// owns w, so hide its Close.
	fw, err := pqarrow.NewFileWriter(schema, struct{ io.Writer }{w}, props, pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem)))
	if err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	for lo := 0; lo < d.N || lo == 0; lo += o.RowGroupRows {
		hi := min(lo+o.RowGroupRows, d.N)
		rec := parquetRecord(mem, schema, d, o, lo, hi)
		err := fw.Write(rec)
		rec.Release()
		if err != nil {
			fw.Close()
			return fmt.Errorf("synth: %w", err)
		}
		if d.N == 0 {
			break
		}
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}

func parquetRecord(mem memory.Allocator, schema *arrow.Schema, d *dataset.Dataset, o FileOptions, lo, hi int) arrow.Record {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	ids := b.Field(0).(*array.StringBuilder)
	texts := b.Field(1).(*array.StringBuilder)
	for i := lo; i < hi; i++ {
		if d.IDs != nil {
			ids.Append(d.IDs[i])
		} else {
			ids.Append("")
		}
		if d.Texts != nil {
			texts.Append(d.Texts[i])
		} else {
			texts.Append("")
		}
		switch lb := b.Field(2).(type) {
		case *array.StringBuilder:
			lb.Append(o.label(d.Y[i]))
		case *array.Int64Builder:
			lb.Append(int64(d.Y[i]))
		case *array.BooleanBuilder:
			lb.Append(d.Y[i] == 1)
		}
	}
	appendFloats := func(fb array.Builder, i, j int) {
		x := d.X[i*d.Dim+j]
		switch fb := fb.(type) {
		case *array.Float32Builder:
			fb.Append(x)
		case *array.Float64Builder:
			fb.Append(float64(x))
		}
	}
	if o.Layout == Wide {
		for j := 0; j < d.Dim; j++ {
			fb := b.Field(3 + j)
			fb.Reserve(hi - lo)
			for i := lo; i < hi; i++ {
				appendFloats(fb, i, j)
			}
		}
	} else {
		var vb array.Builder
		switch lb := b.Field(3).(type) {
		case *array.ListBuilder:
			vb = lb.ValueBuilder()
			vb.Reserve((hi - lo) * d.Dim)
			for i := lo; i < hi; i++ {
				lb.Append(true)
				for j := 0; j < d.Dim; j++ {
					appendFloats(vb, i, j)
				}
			}
		}
	}
	return b.NewRecord()
}
