package dataset

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Column names of the format.
const (
	ColFeatures = "features"
	ColLabel    = "label"
	ColWeight   = "weight"
	ColID       = "id"
	ColText     = "text"
)

// Metadata keys of the format.
const (
	keyVersion   = "pipe.dataset.version"
	keyDim       = "pipe.dataset.dim"
	keyRows      = "pipe.dataset.rows"
	keyPositives = "pipe.dataset.positives"
	keyPositive  = "pipe.dataset.positive"
	keyPart      = "pipe.dataset.part"
	keyFeatures  = "pipe.dataset.features"
	keySource    = "pipe.dataset.source"
)

// Write writes d to w as an Arrow IPC file (see the package
// documentation). The same Dataset always gives the same bytes. The
// feature matrix, labels and weights are written straight from d's
// memory, without a copy; ids and texts are copied once into Arrow string
// arrays.
func Write(w io.Writer, d *Dataset) error {
	if err := d.Check(); err != nil {
		return err
	}
	return writeFile(&positionWriter{w: w}, d, bytesOf(d.X))
}

// WriteStream writes a dataset whose feature matrix is not in memory, as
// it is produced: d holds everything but X, which is nil, and features
// writes the matrix to the writer it is given when WriteStream asks for
// it: d.N×d.Dim float32 values, row-major, in the machine's (little-endian)
// byte order, every one finite, exactly d.N*d.Dim*4 bytes in as many
// writes as it likes. The bytes on w are those Write makes of the same
// Dataset with X filled in, so a dataset's digest does not depend on how
// it was written.
//
// WriteStream checks everything Check does but the features, which it
// never sees whole: their count is checked, their finiteness is the
// caller's promise (the load step checks every value as it decodes it;
// readers check again). An error from features is returned wrapped.
func WriteStream(w io.Writer, d *Dataset, features func(w io.Writer) error) error {
	if d.X != nil {
		return fmt.Errorf("dataset: a streamed dataset has no X in memory")
	}
	if d.N < 0 || d.Dim <= 0 || d.Dim > math.MaxInt32 || d.N > math.MaxInt/4/d.Dim {
		return fmt.Errorf("dataset: %d rows of dimension %d cannot be written: want rows >= 0 and 1 <= dimension < 2^31, and less than 2^63 bytes", d.N, d.Dim)
	}
	// Arrow's writer takes the matrix as a buffer, writes it in one call,
	// and reads none of it: a reserved range of the right size, mapped
	// and never touched, stands in for it, and positionWriter writes the
	// real bytes from features where the writer writes the stand-in.
	var hole []byte
	if size := d.N * d.Dim * 4; size > 0 {
		var err error
		if hole, err = reserve(size); err != nil {
			return fmt.Errorf("dataset: %w", err)
		}
		defer release(hole)
	}
	// The stand-in is the matrix check sees: it reads no feature.
	probe := *d
	probe.X = unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(hole))), d.N*d.Dim)
	if err := probe.check(false); err != nil {
		return err
	}
	if hole == nil {
		return writeFile(&positionWriter{w: w}, d, nil)
	}
	pw := &positionWriter{w: w, hole: hole, fill: features}
	if err := writeFile(pw, d, hole); err != nil {
		return err
	}
	return pw.filled()
}

// writeFile writes d, whose matrix's bytes are x, to pw.
func writeFile(pw *positionWriter, d *Dataset, x []byte) error {
	if d.Dim > math.MaxInt32 {
		return fmt.Errorf("dataset: dimension %d is too large", d.Dim)
	}
	schema := arrowSchema(d)
	cols := []arrow.Array{featuresArray(d, x), labelArray(d)}
	if d.W != nil {
		cols = append(cols, float64Array(d.W))
	}
	for _, ss := range [][]string{d.IDs, d.Texts} {
		if ss == nil {
			continue
		}
		a, err := stringArray(ss)
		if err != nil {
			return err
		}
		cols = append(cols, a)
	}
	rec := array.NewRecord(schema, cols, int64(d.N))
	defer rec.Release()
	for _, c := range cols {
		c.Release()
	}

	fw, err := ipc.NewFileWriter(pw, ipc.WithSchema(schema), ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	if err := fw.Write(rec); err != nil {
		return fmt.Errorf("dataset: writing rows: %w", err)
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	return nil
}

func arrowSchema(d *Dataset) *arrow.Schema {
	fields := []arrow.Field{
		{Name: ColFeatures, Type: arrow.FixedSizeListOfNonNullable(int32(d.Dim), arrow.PrimitiveTypes.Float32)},
		{Name: ColLabel, Type: arrow.PrimitiveTypes.Uint8},
	}
	if d.W != nil {
		fields = append(fields, arrow.Field{Name: ColWeight, Type: arrow.PrimitiveTypes.Float64})
	}
	if d.IDs != nil {
		fields = append(fields, arrow.Field{Name: ColID, Type: arrow.BinaryTypes.String})
	}
	if d.Texts != nil {
		fields = append(fields, arrow.Field{Name: ColText, Type: arrow.BinaryTypes.String})
	}
	md := arrow.NewMetadata(
		[]string{keyVersion, keyDim, keyRows, keyPositives, keyPositive, keyPart, keyFeatures, keySource},
		[]string{Version, strconv.Itoa(d.Dim), strconv.Itoa(d.N), strconv.Itoa(d.Positives()),
			d.Meta.Positive, d.Meta.Part, d.Meta.Features, d.Meta.Source},
	)
	return arrow.NewSchema(fields, &md)
}

// bytesOf views a slice of fixed-size numbers as its bytes, without a
// copy.
func bytesOf[T float32 | float64 | uint8 | int32](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(s[0])))
}

// featuresArray is the features column of d, whose matrix's bytes are x.
func featuresArray(d *Dataset, x []byte) arrow.Array {
	values := array.NewData(arrow.PrimitiveTypes.Float32, d.N*d.Dim,
		[]*memory.Buffer{nil, memory.NewBufferBytes(x)}, nil, 0, 0)
	defer values.Release()
	list := array.NewData(arrow.FixedSizeListOfNonNullable(int32(d.Dim), arrow.PrimitiveTypes.Float32), d.N,
		[]*memory.Buffer{nil}, []arrow.ArrayData{values}, 0, 0)
	defer list.Release()
	return array.NewFixedSizeListData(list)
}

func labelArray(d *Dataset) arrow.Array {
	data := array.NewData(arrow.PrimitiveTypes.Uint8, d.N,
		[]*memory.Buffer{nil, memory.NewBufferBytes(bytesOf(d.Y))}, nil, 0, 0)
	defer data.Release()
	return array.NewUint8Data(data)
}

func float64Array(w []float64) arrow.Array {
	data := array.NewData(arrow.PrimitiveTypes.Float64, len(w),
		[]*memory.Buffer{nil, memory.NewBufferBytes(bytesOf(w))}, nil, 0, 0)
	defer data.Release()
	return array.NewFloat64Data(data)
}

// stringArray builds the utf8 column of ss directly: its offsets and its
// bytes, each allocated once (arrow's builder grew and cleared its buffers
// as it went, 50 ms for the ids and texts of 100k rows).
func stringArray(ss []string) (arrow.Array, error) {
	total := 0
	for _, s := range ss {
		total += len(s)
		if total > math.MaxInt32 {
			return nil, fmt.Errorf("dataset: string column holds more than 2 GiB")
		}
	}
	offsets := make([]int32, len(ss)+1)
	data := make([]byte, 0, total)
	for i, s := range ss {
		data = append(data, s...)
		offsets[i+1] = int32(len(data))
	}
	ad := array.NewData(arrow.BinaryTypes.String, len(ss),
		[]*memory.Buffer{nil, memory.NewBufferBytes(bytesOf(offsets)), memory.NewBufferBytes(data)}, nil, 0, 0)
	defer ad.Release()
	return array.NewStringData(ad), nil
}

// positionWriter gives the Arrow file writer the one kind of Seek it
// uses, asking for the current position, so that any io.Writer (a store
// upload, a hash) can take a dataset. Given a hole, it writes what fill
// writes where the Arrow writer writes the hole (see WriteStream).
type positionWriter struct {
	w    io.Writer
	pos  int64
	hole []byte
	fill func(w io.Writer) error
	// holeDone is set once fill has written the matrix in the hole's place.
	holeDone bool
}

func (p *positionWriter) Write(b []byte) (int, error) {
	if len(p.hole) > 0 && len(b) == len(p.hole) && &b[0] == &p.hole[0] {
		return p.fillHole()
	}
	n, err := p.w.Write(b)
	p.pos += int64(n)
	return n, err
}

// fillHole writes the streamed matrix in the hole's place, checking that
// it is exactly as long.
func (p *positionWriter) fillHole() (int, error) {
	start := p.pos
	cw := &holeWriter{p: p, left: int64(len(p.hole))}
	if err := p.fill(cw); err != nil {
		return int(p.pos - start), fmt.Errorf("dataset: writing the features: %w", err)
	}
	if cw.left != 0 {
		return int(p.pos - start), fmt.Errorf("dataset: the features were %d of the %d bytes of their rows", int64(len(p.hole))-cw.left, len(p.hole))
	}
	p.holeDone = true
	return len(p.hole), nil
}

// filled returns an error unless the hole was filled: an Arrow writer
// that wrote the matrix other than in the one call WriteStream relies on
// would have written the stand-in's zeros in the file instead.
func (p *positionWriter) filled() error {
	if len(p.hole) > 0 && !p.holeDone {
		return fmt.Errorf("dataset: the Arrow writer did not write the feature matrix in one piece, so the streamed rows found no place in the file")
	}
	return nil
}

// holeWriter is the writer WriteStream's features write to: it passes
// the bytes on and refuses more than the matrix holds.
type holeWriter struct {
	p    *positionWriter
	left int64
}

func (h *holeWriter) Write(b []byte) (int, error) {
	if int64(len(b)) > h.left {
		return 0, fmt.Errorf("dataset: the features are longer than the %d bytes of their rows", len(h.p.hole))
	}
	n, err := h.p.w.Write(b)
	h.p.pos += int64(n)
	h.left -= int64(n)
	return n, err
}

func (p *positionWriter) Seek(offset int64, whence int) (int64, error) {
	if offset != 0 || whence != io.SeekCurrent {
		return p.pos, fmt.Errorf("dataset: writer cannot seek")
	}
	return p.pos, nil
}
