package dataset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow/ipc"
)

// View reads a dataset from the bytes of an Arrow IPC file, in place: the
// feature matrix, the labels and the weights alias b wherever b holds them
// aligned for their type, which is always the case for a file that pipe
// wrote (or any writer that follows Arrow's alignment) in memory that is
// itself aligned (a memory map, or any Go allocation of that size). A
// buffer that is not aligned is copied instead, so any valid file reads
// correctly. Ids and texts are always copied into Go strings. b must not
// change while the Dataset is in use.
//
// It validates what Read does, reads nothing but the footer, the
// record batch's metadata and the columns, and never panics on a corrupt
// or hostile file: it returns an error. (A fault on mapped memory is not
// a panic of View's making: see steps/shared/fault.)
func View(b []byte) (*Dataset, error) { return viewFile(b, true) }

// viewFile is View, which searches the feature matrix for non-finite values
// only when features is set (see OpenUnscanned).
func viewFile(b []byte, features bool) (d *Dataset, err error) {
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(interface{ Addr() uintptr }); ok {
				panic(p) // a fault on mapped memory: the caller's Guard
			}
			d = nil
			if e, ok := p.(error); ok && errors.Is(e, errTooLarge) {
				err = errTooLarge
				return
			}
			err = fmt.Errorf("dataset: corrupt file: %v", p)
		}
	}()
	size := int64(len(b))
	r := bytes.NewReader(b)
	if err := checkFooter(r, size); err != nil {
		return nil, err
	}
	fr, err := ipc.NewFileReader(r, ipc.WithAllocator(&limitAllocator{max: len(b) + 64}))
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
	batch, err := recordBatch(b)
	if err != nil {
		return nil, err
	}
	if err := batch.fill(d, want); err != nil {
		return nil, err
	}
	if err := d.check(features); err != nil {
		return nil, err
	}
	if p := d.Positives(); p != want.positives {
		return nil, fmt.Errorf("dataset: metadata says %d positives, labels hold %d", want.positives, p)
	}
	return d, nil
}

var errBadBatch = errors.New("dataset: corrupt file: inconsistent record batch metadata")

// batch is the record batch of a file: its row count, field nodes and
// buffers, and the body the buffers are in.
type batch struct {
	rows    int64
	nodes   [][2]int64 // length, null count
	buffers [][2]int64 // offset, length, within body
	body    []byte
}

// recordBatch finds the record batch of the file b through its footer and
// reads its metadata (Arrow's File.fbs and Message.fbs), checking every
// offset and length against the file. checkFooter has vetted the footer.
func recordBatch(b []byte) (*batch, error) {
	size := len(b)
	n := int(binary.LittleEndian.Uint32(b[size-10:]))
	fb := flatbuf(b[size-10-n : size-10])
	root, _ := fb.uoffset(0)
	f, ok := fb.field(root, 3) // recordBatches: [Block]
	if !ok {
		return nil, errBadBatch
	}
	v, _ := fb.uoffset(f)
	if cnt, _ := fb.u32(v); cnt != 1 {
		return nil, errBadBatch
	}
	// Block: offset int64, metaDataLength int32 (+4 padding), bodyLength int64.
	off := int64(binary.LittleEndian.Uint64(fb[v+4:]))
	metaLen := int64(int32(binary.LittleEndian.Uint32(fb[v+12:])))
	bodyLen := int64(binary.LittleEndian.Uint64(fb[v+20:]))
	if off < 8 || metaLen < 8 || bodyLen < 0 || off > int64(size) || metaLen > int64(size)-off || bodyLen > int64(size)-off-metaLen {
		return nil, errBadBatch
	}
	msg := b[off : off+metaLen]
	if binary.LittleEndian.Uint32(msg) == 0xFFFFFFFF {
		msg = msg[4:] // continuation marker
	}
	fbLen := int64(binary.LittleEndian.Uint32(msg))
	if fbLen <= 0 || fbLen > int64(len(msg))-4 {
		return nil, errBadBatch
	}
	m := flatbuf(msg[4 : 4+fbLen])
	bt := &batch{body: b[off+metaLen : off+metaLen+bodyLen]}
	if err := bt.parse(m, bodyLen); err != nil {
		return nil, err
	}
	return bt, nil
}

// parse reads a Message holding a RecordBatch.
func (bt *batch) parse(m flatbuf, bodyLen int64) error {
	const headerRecordBatch = 3
	msg, ok := m.uoffset(0)
	if !ok || !m.table(msg) {
		return errBadBatch
	}
	if t, ok := m.field(msg, 1); !ok || t >= len(m) || m[t] != headerRecordBatch {
		return errBadBatch
	}
	if l, ok := m.i64(msg, 3); !ok || l != bodyLen {
		return errBadBatch
	}
	h, ok := m.field(msg, 2)
	if !ok {
		return errBadBatch
	}
	rb, ok := m.uoffset(h)
	if !ok || !m.table(rb) {
		return errBadBatch
	}
	if _, compressed := m.field(rb, 3); compressed {
		return fmt.Errorf("dataset: the record batch is compressed; the format is not")
	}
	bt.rows, _ = m.i64(rb, 0)
	var err error
	if bt.nodes, err = m.pairs(rb, 1); err != nil {
		return err
	}
	if bt.buffers, err = m.pairs(rb, 2); err != nil {
		return err
	}
	for _, buf := range bt.buffers {
		if buf[0] < 0 || buf[1] < 0 || buf[0] > bodyLen || buf[1] > bodyLen-buf[0] {
			return errBadBatch
		}
	}
	return nil
}

// i64 reads field i of the table at pos as an int64 (0 when absent).
func (b flatbuf) i64(pos, i int) (int64, bool) {
	f, ok := b.field(pos, i)
	if !ok {
		return 0, true
	}
	if f+8 > len(b) {
		return 0, false
	}
	return int64(binary.LittleEndian.Uint64(b[f:])), true
}

// pairs reads field i of the table at pos as a vector of structs of two
// int64 (FieldNode, Buffer).
func (b flatbuf) pairs(pos, i int) ([][2]int64, error) {
	f, ok := b.field(pos, i)
	if !ok {
		return nil, nil
	}
	v, ok := b.uoffset(f)
	if !ok {
		return nil, errBadBatch
	}
	n, ok := b.u32(v)
	if !ok || int64(v)+4+16*int64(n) > int64(len(b)) {
		return nil, errBadBatch
	}
	out := make([][2]int64, n)
	for k := range out {
		p := v + 4 + 16*k
		out[k] = [2]int64{int64(binary.LittleEndian.Uint64(b[p:])), int64(binary.LittleEndian.Uint64(b[p+8:]))}
	}
	return out, nil
}

// fill points d's slices into the batch's buffers, checking every count
// first. The columns' nodes and buffers come in schema order, depth first:
// features (validity), its float32 items (validity, values), label
// (validity, values), then weight (validity, values), id and text
// (validity, offsets, data) when present.
func (bt *batch) fill(d *Dataset, want expected) error {
	n := int64(want.rows)
	if bt.rows != n {
		return fmt.Errorf("dataset: metadata says %d rows, the record batch holds %d", want.rows, bt.rows)
	}
	names := []string{ColFeatures, ColFeatures + " values", ColLabel}
	lens := []int64{n, n * int64(d.Dim), n}
	bufs := []int{1, 2, 2}
	for _, c := range []struct {
		on   bool
		name string
		bufs int
	}{{want.weight, ColWeight, 2}, {want.ids, ColID, 3}, {want.texts, ColText, 3}} {
		if c.on {
			names, lens, bufs = append(names, c.name), append(lens, n), append(bufs, c.bufs)
		}
	}
	total := 0
	for _, k := range bufs {
		total += k
	}
	if len(bt.nodes) != len(names) || len(bt.buffers) != total {
		return fmt.Errorf("dataset: the record batch has %d columns and %d buffers, want %d and %d", len(bt.nodes), len(bt.buffers), len(names), total)
	}
	for i, node := range bt.nodes {
		if node[0] != lens[i] || node[1] != 0 {
			return fmt.Errorf("dataset: column %s has %d values (%d null), want %d non-null", names[i], node[0], node[1], lens[i])
		}
	}
	var err error
	if d.X, err = view[float32](bt.buf(2), n*int64(d.Dim)); err != nil {
		return fmt.Errorf("dataset: features: %w", err)
	}
	if d.Y, err = view[uint8](bt.buf(4), n); err != nil {
		return fmt.Errorf("dataset: labels: %w", err)
	}
	next := 5
	if want.weight {
		if d.W, err = view[float64](bt.buf(next+1), n); err != nil {
			return fmt.Errorf("dataset: weights: %w", err)
		}
		next += 2
	}
	for _, c := range []struct {
		on   bool
		dst  *[]string
		name string
	}{{want.ids, &d.IDs, "ids"}, {want.texts, &d.Texts, "texts"}} {
		if !c.on {
			continue
		}
		if *c.dst, err = viewStrings(bt.buf(next+1), bt.buf(next+2), int(n)); err != nil {
			return fmt.Errorf("dataset: %s: %w", c.name, err)
		}
		next += 3
	}
	return nil
}

// buf returns buffer i of the batch.
func (bt *batch) buf(i int) []byte {
	b := bt.buffers[i]
	return bt.body[b[0] : b[0]+b[1]]
}

// view returns the first n values in buf, aliasing it when it is aligned
// for T and copying it otherwise.
func view[T float32 | float64 | uint8](buf []byte, n int64) ([]T, error) {
	var zero T
	size := int64(unsafe.Sizeof(zero))
	if n == 0 {
		return []T{}, nil
	}
	if int64(len(buf))/size < n {
		return nil, fmt.Errorf("data buffer holds fewer than %d values", n)
	}
	b := buf[:n*size]
	if uintptr(unsafe.Pointer(&b[0]))%uintptr(size) == 0 {
		return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n), nil
	}
	out := make([]T, n)
	copy(bytesOf(out), b)
	return out, nil
}

// viewStrings copies n strings out of a utf8 column's offsets and data.
func viewStrings(offsets, data []byte, n int) ([]string, error) {
	if int64(len(offsets)) < 4*int64(n+1) {
		return nil, fmt.Errorf("offsets buffer is too short")
	}
	off := func(i int) int { return int(int32(binary.LittleEndian.Uint32(offsets[4*i:]))) }
	if off(0) < 0 {
		return nil, fmt.Errorf("negative offset")
	}
	for i := range n {
		if off(i+1) < off(i) || off(i+1) > len(data) {
			return nil, fmt.Errorf("row %d: offset out of range", i+1)
		}
	}
	// One string holds them all; each row's is a slice of it.
	all := strings.Clone(unsafe.String(unsafe.SliceData(data), off(n)))
	out := make([]string, n)
	for i := range out {
		out[i] = all[off(i):off(i+1)]
	}
	return out, nil
}
