package dataset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/pipe-ml/pipe/steps"
)

// Decode reads a dataset from the bytes of an Arrow IPC file. The Dataset
// does not alias b: the record batch body is copied once.
func Decode(b []byte) (*Dataset, error) {
	return Read(bytes.NewReader(b), int64(len(b)))
}

// ReadFile reads a dataset from a file. Peak memory is one copy of the
// record batch: the feature matrix aliases it.
func ReadFile(path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	return Read(f, st.Size())
}

// Open reads the dataset artifact a through env. The artifact is streamed
// to a temporary file (its digest checked on the way), then read with
// ReadFile, so that memory never holds both the file and the matrix.
func Open(ctx context.Context, env steps.Env, a steps.Artifact) (*Dataset, error) {
	if a.MediaType != MediaType {
		return nil, fmt.Errorf("dataset: artifact %s is %s, not a dataset (%s)", a.Digest, a.MediaType, MediaType)
	}
	rc, err := env.OpenArtifact(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer rc.Close()
	tmp, err := os.CreateTemp("", "pipe-dataset-*.arrow")
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := io.Copy(tmp, rc); err != nil {
		return nil, fmt.Errorf("dataset: reading artifact %s: %w", a.Digest, err)
	}
	st, err := tmp.Stat()
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	return Read(tmp, st.Size())
}

// errTooLarge is panicked by limitAllocator and recovered by Read.
var errTooLarge = errors.New("dataset: corrupt file: a buffer is larger than the file")

// limitAllocator refuses any allocation larger than the file being read:
// no honest buffer in an uncompressed IPC file can be, and a corrupt
// length must not make us allocate gigabytes.
type limitAllocator struct {
	memory.GoAllocator
	max int
}

func (a *limitAllocator) Allocate(size int) []byte {
	if size < 0 || size > a.max {
		panic(errTooLarge)
	}
	return a.GoAllocator.Allocate(size)
}

func (a *limitAllocator) Reallocate(size int, b []byte) []byte {
	if size < 0 || size > a.max {
		panic(errTooLarge)
	}
	return a.GoAllocator.Reallocate(size, b)
}

// Read reads a dataset from an Arrow IPC file of the given size and
// validates it (see [Dataset.Check] and the package documentation). It
// never panics: a corrupt file is an error.
func Read(r io.ReaderAt, size int64) (d *Dataset, err error) {
	defer func() {
		if p := recover(); p != nil {
			d = nil
			if e, ok := p.(error); ok && errors.Is(e, errTooLarge) {
				err = errTooLarge
				return
			}
			err = fmt.Errorf("dataset: corrupt file: %v", p)
		}
	}()
	if size < 0 || int64(int(size)) != size {
		return nil, fmt.Errorf("dataset: file size %d is out of range", size)
	}
	if err := checkFooter(r, size); err != nil {
		return nil, err
	}
	mem := &limitAllocator{max: int(size) + 64}
	fr, err := ipc.NewFileReader(io.NewSectionReader(r, 0, size), ipc.WithAllocator(mem))
	if err != nil {
		return nil, fmt.Errorf("dataset: not an Arrow IPC file: %w", err)
	}
	defer fr.Close()
	if n := fr.NumRecords(); n != 1 {
		return nil, fmt.Errorf("dataset: file holds %d record batches, want exactly 1", n)
	}
	if fr.NumDictionaries() != 0 {
		return nil, fmt.Errorf("dataset: file holds dictionaries; the format has none")
	}
	d, want, err := fromSchema(fr.Schema())
	if err != nil {
		return nil, err
	}
	rec, err := fr.RecordAt(0)
	if err != nil {
		return nil, fmt.Errorf("dataset: reading rows: %w", err)
	}
	defer rec.Release()
	if err := fromRecord(d, rec, want); err != nil {
		return nil, err
	}
	if err := d.Check(); err != nil {
		return nil, err
	}
	if p := d.Positives(); p != want.positives {
		return nil, fmt.Errorf("dataset: metadata says %d positives, labels hold %d", want.positives, p)
	}
	return d, nil
}

// expected holds what the schema promises about the record batch.
type expected struct {
	rows, positives    int
	weight, ids, texts bool
}

func fromSchema(s *arrow.Schema) (*Dataset, expected, error) {
	var want expected
	md := s.Metadata()
	get := func(k string) string {
		if i := md.FindKey(k); i >= 0 {
			return md.Values()[i]
		}
		return ""
	}
	if v := get(keyVersion); v != Version {
		return nil, want, fmt.Errorf("dataset: format version %q, want %q (was it written by pipe?)", v, Version)
	}
	atoi := func(k string) (int, error) {
		n, err := strconv.Atoi(get(k))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("dataset: metadata %s = %q is not a count", k, get(k))
		}
		return n, nil
	}
	dim, err := atoi(keyDim)
	if err != nil {
		return nil, want, err
	}
	if want.rows, err = atoi(keyRows); err != nil {
		return nil, want, err
	}
	if want.positives, err = atoi(keyPositives); err != nil {
		return nil, want, err
	}
	fields := s.Fields()
	if len(fields) < 2 || fields[0].Name != ColFeatures || fields[1].Name != ColLabel {
		return nil, want, fmt.Errorf("dataset: columns %v, want features, label, then optional weight, id, text", fieldNames(s))
	}
	ft, ok := fields[0].Type.(*arrow.FixedSizeListType)
	if !ok || ft.Elem().ID() != arrow.FLOAT32 || int(ft.Len()) != dim {
		return nil, want, fmt.Errorf("dataset: features column is %s, want fixed_size_list<float32>[%d]", fields[0].Type, dim)
	}
	if fields[1].Type.ID() != arrow.UINT8 {
		return nil, want, fmt.Errorf("dataset: label column is %s, want uint8", fields[1].Type)
	}
	rest := fields[2:]
	take := func(name string, id arrow.Type) (bool, error) {
		if len(rest) == 0 || rest[0].Name != name {
			return false, nil
		}
		if rest[0].Type.ID() != id {
			return false, fmt.Errorf("dataset: %s column is %s, want %s", name, rest[0].Type, id)
		}
		rest = rest[1:]
		return true, nil
	}
	if want.weight, err = take(ColWeight, arrow.FLOAT64); err != nil {
		return nil, want, err
	}
	if want.ids, err = take(ColID, arrow.STRING); err != nil {
		return nil, want, err
	}
	if want.texts, err = take(ColText, arrow.STRING); err != nil {
		return nil, want, err
	}
	if len(rest) != 0 {
		return nil, want, fmt.Errorf("dataset: columns %v, want features, label, then optional weight, id, text", fieldNames(s))
	}
	d := &Dataset{N: want.rows, Dim: dim, Meta: Meta{
		Positive: get(keyPositive),
		Part:     get(keyPart),
		Features: get(keyFeatures),
		Source:   get(keySource),
	}}
	return d, want, nil
}

func fieldNames(s *arrow.Schema) []string {
	var names []string
	for _, f := range s.Fields() {
		names = append(names, f.Name)
	}
	return names
}

// fromRecord points d's slices into rec's buffers, checking every length
// and offset first.
func fromRecord(d *Dataset, rec arrow.Record, want expected) error {
	if rec.NumRows() != int64(want.rows) {
		return fmt.Errorf("dataset: metadata says %d rows, the record batch holds %d", want.rows, rec.NumRows())
	}
	n := want.rows
	for i, c := range rec.Columns() {
		if c.Len() != n || c.NullN() != 0 || c.Data().Offset() != 0 {
			return fmt.Errorf("dataset: column %s has %d values (%d null), want %d non-null", rec.ColumnName(i), c.Len(), c.NullN(), n)
		}
	}
	list, ok := rec.Column(0).(*array.FixedSizeList)
	if !ok {
		return fmt.Errorf("dataset: features column is not a fixed-size list")
	}
	vals := list.ListValues()
	if vals.NullN() != 0 || vals.Data().Offset() != 0 {
		return fmt.Errorf("dataset: features hold null values")
	}
	var err error
	if d.X, err = numbers[float32](vals.Data(), n*d.Dim); err != nil {
		return fmt.Errorf("dataset: features: %w", err)
	}
	if d.Y, err = numbers[uint8](rec.Column(1).Data(), n); err != nil {
		return fmt.Errorf("dataset: labels: %w", err)
	}
	col := 2
	if want.weight {
		if d.W, err = numbers[float64](rec.Column(col).Data(), n); err != nil {
			return fmt.Errorf("dataset: weights: %w", err)
		}
		col++
	}
	if want.ids {
		if d.IDs, err = stringValues(rec.Column(col), n); err != nil {
			return fmt.Errorf("dataset: ids: %w", err)
		}
		col++
	}
	if want.texts {
		if d.Texts, err = stringValues(rec.Column(col), n); err != nil {
			return fmt.Errorf("dataset: texts: %w", err)
		}
	}
	return nil
}

// numbers returns the first n values of a primitive array's data buffer,
// aliasing it when it is aligned and copying it otherwise.
func numbers[T float32 | float64 | uint8](data arrow.ArrayData, n int) ([]T, error) {
	bufs := data.Buffers()
	var zero T
	size := int(unsafe.Sizeof(zero))
	if len(bufs) < 2 {
		return nil, fmt.Errorf("missing data buffer")
	}
	if n == 0 {
		return []T{}, nil
	}
	if bufs[1] == nil || bufs[1].Len()/size < n {
		return nil, fmt.Errorf("data buffer holds fewer than %d values", n)
	}
	b := bufs[1].Bytes()[:n*size]
	if uintptr(unsafe.Pointer(&b[0]))%uintptr(size) == 0 {
		return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n), nil
	}
	out := make([]T, n)
	copy(bytesOf(out), b)
	return out, nil
}

func stringValues(a arrow.Array, n int) ([]string, error) {
	s, ok := a.(*array.String)
	if !ok {
		return nil, fmt.Errorf("not a string column")
	}
	bufs := s.Data().Buffers()
	if len(bufs) < 3 || bufs[1] == nil || bufs[1].Len() < 4*(n+1) {
		return nil, fmt.Errorf("offsets buffer is too short")
	}
	offs := s.ValueOffsets()
	if len(offs) < n+1 {
		return nil, fmt.Errorf("offsets buffer is too short")
	}
	limit := 0
	if bufs[2] != nil {
		limit = bufs[2].Len()
	}
	if offs[0] < 0 {
		return nil, fmt.Errorf("negative offset")
	}
	for i := 0; i < n; i++ {
		if offs[i+1] < offs[i] || int(offs[i+1]) > limit {
			return nil, fmt.Errorf("row %d: offset out of range", i+1)
		}
	}
	out := make([]string, n)
	for i := range out {
		out[i] = s.Value(i)
	}
	return out, nil
}
