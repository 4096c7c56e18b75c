package predict

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
)

// Column names of the predictions file.
const (
	ColID          = "id"
	ColProbability = "probability"
	ColLabel       = "label"
)

// rowGroupRows is the number of rows per Parquet row group.
const rowGroupRows = 1 << 17

// predictions are the rows of a predictions file.
type predictions struct {
	ids       []string // nil: row numbers
	prob      []float64
	threshold float64
}

func (p *predictions) id(i int) string {
	if p.ids != nil {
		return p.ids[i]
	}
	return strconv.Itoa(i + 1)
}

func (p *predictions) label(i int) int64 {
	if p.prob[i] > p.threshold {
		return 1
	}
	return 0
}

func (p *predictions) positives() int {
	n := 0
	for i := range p.prob {
		n += int(p.label(i))
	}
	return n
}

// writeCSV writes a header and one record per row.
func (p *predictions) writeCSV(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	cw := csv.NewWriter(bw)
	if err := cw.Write([]string{ColID, ColProbability, ColLabel}); err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	rec := make([]string, 3)
	var num []byte
	for i, pr := range p.prob {
		num = strconv.AppendFloat(num[:0], pr, 'g', -1, 64)
		rec[0], rec[1], rec[2] = p.id(i), string(num), strconv.FormatInt(p.label(i), 10)
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("predict: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	return nil
}

var parquetSchema = arrow.NewSchema([]arrow.Field{
	{Name: ColID, Type: arrow.BinaryTypes.String},
	{Name: ColProbability, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColLabel, Type: arrow.PrimitiveTypes.Int64},
}, nil)

// writeParquet writes the rows as Parquet (see the package
// documentation for the layout).
func (p *predictions) writeParquet(w io.Writer) error {
	mem := memory.NewGoAllocator()
	props := parquet.NewWriterProperties(
		parquet.WithAllocator(mem),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithDictionaryDefault(false),
		parquet.WithMaxRowGroupLength(rowGroupRows),
		parquet.WithCreatedBy("pipe predict"),
	)
	// The Parquet writer closes a writer that is an io.Closer; hide it.
	fw, err := pqarrow.NewFileWriter(parquetSchema, struct{ io.Writer }{w}, props,
		pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem)))
	if err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	n := len(p.prob)
	for lo := 0; lo < n; lo += rowGroupRows {
		rec := p.record(mem, lo, min(n, lo+rowGroupRows))
		err := fw.Write(rec)
		rec.Release()
		if err != nil {
			fw.Close()
			return fmt.Errorf("predict: %w", err)
		}
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	return nil
}

// record returns rows [lo, hi) as an Arrow record.
func (p *predictions) record(mem memory.Allocator, lo, hi int) arrow.Record {
	b := array.NewRecordBuilder(mem, parquetSchema)
	defer b.Release()
	ids := b.Field(0).(*array.StringBuilder)
	probs := b.Field(1).(*array.Float64Builder)
	labels := b.Field(2).(*array.Int64Builder)
	ids.Reserve(hi - lo)
	probs.Reserve(hi - lo)
	labels.Reserve(hi - lo)
	for i := lo; i < hi; i++ {
		ids.Append(p.id(i))
		probs.UnsafeAppend(p.prob[i])
		labels.UnsafeAppend(p.label(i))
	}
	return b.NewRecord()
}
