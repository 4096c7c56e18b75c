package dataset

import (
	"encoding/binary"
	"errors"
	"io"
)

// The Arrow Go IPC reader sizes slices from vector lengths in the file's
// flatbuffer footer without checking them against the buffer, so a single
// corrupt length can make it allocate hundreds of gigabytes and kill the
// process (an out-of-memory fault cannot be recovered). checkFooter walks
// the footer first and bounds every vector the reader will allocate from.
// It follows Arrow's File.fbs and Schema.fbs: Footer, Schema, Field,
// KeyValue, DictionaryEncoding, and the Union type's type ids.

var errBadFooter = errors.New("dataset: corrupt file: inconsistent Arrow footer")

// maxFieldDepth bounds the nesting of fields; the format nests two deep.
const maxFieldDepth = 8

func checkFooter(r io.ReaderAt, size int64) error {
	const tail = 10 // int32 footer length + "ARROW1"
	if size < tail+8 {
		return errBadFooter
	}
	var t [4]byte
	if _, err := r.ReadAt(t[:], size-tail); err != nil {
		return errBadFooter
	}
	n := int64(binary.LittleEndian.Uint32(t[:]))
	if n <= 0 || n+tail+8 > size {
		return errBadFooter
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, size-tail-n); err != nil {
		return errBadFooter
	}
	fb := flatbuf(buf)
	root, ok := fb.uoffset(0)
	if !ok {
		return errBadFooter
	}
	if !fb.table(root) {
		return errBadFooter
	}
	ok = fb.optTable(root, 1, fb.schema) &&
		fb.optVector(root, 2, 24, nil) &&
		fb.optVector(root, 3, 24, nil) &&
		fb.optVector(root, 4, 4, fb.keyValue)
	if !ok {
		return errBadFooter
	}
	return nil
}

// flatbuf is a flatbuffer with bounds-checked accessors.
type flatbuf []byte

func (b flatbuf) u32(pos int) (uint32, bool) {
	if pos < 0 || pos+4 > len(b) {
		return 0, false
	}
	return binary.LittleEndian.Uint32(b[pos:]), true
}

func (b flatbuf) u16(pos int) (uint16, bool) {
	if pos < 0 || pos+2 > len(b) {
		return 0, false
	}
	return binary.LittleEndian.Uint16(b[pos:]), true
}

// uoffset follows the unsigned offset stored at pos.
func (b flatbuf) uoffset(pos int) (int, bool) {
	off, ok := b.u32(pos)
	if !ok || int64(pos)+int64(off) >= int64(len(b)) {
		return 0, false
	}
	return pos + int(off), true
}

// table checks that a table and its vtable lie inside the buffer.
func (b flatbuf) table(pos int) bool {
	so, ok := b.u32(pos)
	if !ok {
		return false
	}
	vt := int64(pos) - int64(int32(so))
	if vt < 0 || vt+4 > int64(len(b)) {
		return false
	}
	vsize, _ := b.u16(int(vt))
	tsize, _ := b.u16(int(vt) + 2)
	return vsize >= 4 && vsize%2 == 0 && vt+int64(vsize) <= int64(len(b)) && int64(pos)+int64(tsize) <= int64(len(b))
}

// field returns the position of field i of the table at pos, or false when
// the field is absent.
func (b flatbuf) field(pos, i int) (int, bool) {
	so, _ := b.u32(pos)
	vt := pos - int(int32(so))
	vsize, _ := b.u16(vt)
	at := 4 + 2*i
	if at+2 > int(vsize) {
		return 0, false
	}
	off, _ := b.u16(vt + at)
	if off == 0 {
		return 0, false
	}
	return pos + int(off), true
}

// optTable checks field i of the table at pos, when present, as a table
// that check accepts.
func (b flatbuf) optTable(pos, i int, check func(int, int) bool) bool {
	return b.optTableDepth(pos, i, 0, check)
}

func (b flatbuf) optTableDepth(pos, i, depth int, check func(int, int) bool) bool {
	f, ok := b.field(pos, i)
	if !ok {
		return true
	}
	t, ok := b.uoffset(f)
	if !ok || !b.table(t) {
		return false
	}
	return check == nil || check(t, depth)
}

// optVector checks field i of the table at pos, when present, as a vector
// of elements of elem bytes lying inside the buffer. When each is
// not nil, the elements are offsets to tables each must accept.
func (b flatbuf) optVector(pos, i, elem int, each func(int, int) bool) bool {
	return b.optVectorDepth(pos, i, elem, 0, each)
}

func (b flatbuf) optVectorDepth(pos, i, elem, depth int, each func(int, int) bool) bool {
	f, ok := b.field(pos, i)
	if !ok {
		return true
	}
	v, ok := b.uoffset(f)
	if !ok {
		return false
	}
	n, ok := b.u32(v)
	if !ok || int64(v)+4+int64(n)*int64(elem) > int64(len(b)) {
		return false
	}
	if each == nil {
		return true
	}
	for k := 0; k < int(n); k++ {
		t, ok := b.uoffset(v + 4 + 4*k)
		if !ok || !b.table(t) || !each(t, depth) {
			return false
		}
	}
	return true
}

// schema: endianness, fields [Field], custom_metadata [KeyValue],
// features [long].
func (b flatbuf) schema(pos, _ int) bool {
	return b.optVector(pos, 1, 4, b.fieldTable) &&
		b.optVector(pos, 2, 4, b.keyValue) &&
		b.optVector(pos, 3, 8, nil)
}

// fieldTable: name, nullable, type_type, type, dictionary, children
// [Field], custom_metadata [KeyValue].
func (b flatbuf) fieldTable(pos, depth int) bool {
	if depth > maxFieldDepth {
		return false
	}
	const typeUnion = 14
	typeType := byte(0)
	if f, ok := b.field(pos, 2); ok && f < len(b) {
		typeType = b[f]
	}
	typeCheck := func(t, _ int) bool {
		if typeType == typeUnion {
			return b.optVector(t, 1, 4, nil) // typeIds [int]
		}
		return true
	}
	return b.optVector(pos, 0, 1, nil) &&
		b.optTable(pos, 3, typeCheck) &&
		b.optTable(pos, 4, func(t, _ int) bool { return b.optTable(t, 1, nil) }) &&
		b.optVectorDepth(pos, 5, 4, depth+1, b.fieldTable) &&
		b.optVector(pos, 6, 4, b.keyValue)
}

// keyValue: key string, value string.
func (b flatbuf) keyValue(pos, _ int) bool {
	return b.optVector(pos, 0, 1, nil) && b.optVector(pos, 1, 1, nil)
}
