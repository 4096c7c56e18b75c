package load

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/metadata"
	pqschema "github.com/apache/arrow/go/v15/parquet/schema"
)

// chunkDecoder decodes float column chunks of one Parquet file into
// float32, one chunk at a time, with buffers it keeps from one chunk to
// the next. Each goroutine that reads wide features has its own.
//
// It sits below pqarrow on purpose. Through pqarrow, every column chunk
// costs about five fresh buffers of its size (the chunk read from disk,
// a copy of it, the compressed and the decompressed page, the Arrow
// array), which Go must zero and then collect: on 100k × 584 that was a
// third of the CPU time. Here the file's bytes are read into one buffer,
// pages are decompressed into buffers the decoder owns (pageArena), and
// values are decoded straight into the caller's slice. Pages and
// encodings are still arrow's own (file.NewPageReader and
// file.NewColumnReader), so every codec, dictionary encoding and data
// page version pqarrow reads is read here too.
type chunkDecoder struct {
	f        io.ReaderAt
	fileSize int64
	// padChunks adds the PARQUET-816 padding old parquet-mr writers need,
	// as arrow's own row group reader does.
	padChunks bool

	raw    []byte // the column chunk as stored in the file
	stream chunkStream
	pages  file.PageReader
	arena  pageArena
	pool   *sync.Pool // scratch for file.NewColumnReader (used by Skip only)
	defs   []int16
	f64    []float64
}

func newChunkDecoder(f io.ReaderAt, fileSize int64, md *metadata.FileMetaData) *chunkDecoder {
	d := &chunkDecoder{f: f, fileSize: fileSize,
		padChunks: md.WriterVersion().LessThan(metadata.Parquet816FixedVersion)}
	d.pool = &sync.Pool{New: func() any { return memory.NewResizableBuffer(&d.arena) }}
	return d
}

// maxDictHeaderSize is the padding for PARQUET-816 (arrow's constant).
const maxDictHeaderSize = 100

// decode reads column chunk cc, which holds len(dst) rows, into dst as
// float32, and calls null with the index (in the chunk, ascending) of each
// null value, which it sets to 0.
func (d *chunkDecoder) decode(cc *metadata.ColumnChunkMetaData, descr *pqschema.Column, dst []float32, null func(i int)) error {
	if err := d.open(cc); err != nil {
		return err
	}
	n := len(dst)
	maxDef := descr.MaxDefinitionLevel()
	var defs []int16
	if maxDef > 0 {
		if cap(d.defs) < n {
			d.defs = make([]int16, n)
		}
		defs = d.defs[:n]
	}
	total, got, err := d.read(descr, dst, defs)
	if err != nil {
		return err
	}
	if total != int64(n) || got > n {
		return fmt.Errorf("it holds %d of the %d rows the footer promises", total, n)
	}
	if got == n {
		return nil
	}
	// Nulls: the got values are packed at the front. Spread them to their
	// rows from the back, then report the nulls in row order.
	j := got - 1
	for i := n - 1; i >= 0; i-- {
		if defs[i] < maxDef {
			dst[i] = 0
			continue
		}
		if j < 0 {
			return errors.New("its definition levels and values disagree")
		}
		dst[i] = dst[j]
		j--
	}
	for i, l := range defs {
		if l < maxDef {
			null(i)
		}
	}
	return nil
}

// open reads the column chunk cc into memory whole and points the page
// reader at it.
func (d *chunkDecoder) open(cc *metadata.ColumnChunkMetaData) error {
	if cc.CryptoMetadata() != nil {
		return errors.New("the column is encrypted")
	}
	start := cc.DataPageOffset()
	if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && start > cc.DictionaryPageOffset() {
		start = cc.DictionaryPageOffset()
	}
	length := cc.TotalCompressedSize()
	if d.padChunks && start >= 0 && length >= 0 && start+length <= d.fileSize {
		length += min(maxDictHeaderSize, d.fileSize-(start+length))
	}
	// Checked before anything is allocated: a damaged footer can claim
	// any size.
	if start < 0 || length < 0 || start > d.fileSize || length > d.fileSize-start {
		return fmt.Errorf("the column chunk (%d bytes at offset %d) lies outside the file (%d bytes)", length, start, d.fileSize)
	}
	if int64(cap(d.raw)) < length {
		d.raw = make([]byte, length)
	}
	d.raw = d.raw[:length]
	if _, err := d.f.ReadAt(d.raw, start); err != nil {
		return err
	}
	d.stream = chunkStream{b: d.raw}
	// The previous chunk is fully decoded and copied out: its pages'
	// buffers can be handed out again.
	d.arena.reset()
	if d.pages == nil {
		pages, err := file.NewPageReader(&d.stream, cc.NumValues(), cc.Compression(), &d.arena, nil)
		if err != nil {
			return err
		}
		d.pages = pages
		return nil
	}
	d.pages.Reset(&d.stream, cc.NumValues(), cc.Compression(), nil)
	return d.pages.Err()
}

// read decodes the open chunk's values into dst (FLOAT, or DOUBLE
// narrowed) and its definition levels into defs, returning how many
// levels and values it read.
func (d *chunkDecoder) read(descr *pqschema.Column, dst []float32, defs []int16) (total int64, got int, err error) {
	n := len(dst)
	switch cr := file.NewColumnReader(descr, d.pages, &d.arena, d.pool).(type) {
	case *file.Float32ColumnChunkReader:
		total, got, err = cr.ReadBatch(int64(n), dst, defs, nil)
		if err == nil {
			err = cr.Err()
		}
	case *file.Float64ColumnChunkReader:
		if cap(d.f64) < n {
			d.f64 = make([]float64, n)
		}
		total, got, err = cr.ReadBatch(int64(n), d.f64[:n], defs, nil)
		if err == nil {
			err = cr.Err()
		}
		for i, v := range d.f64[:got] {
			dst[i] = float32(v)
		}
	default:
		return 0, 0, fmt.Errorf("the column is stored as %s, want FLOAT or DOUBLE", descr.PhysicalType())
	}
	return total, got, err
}

// chunkStream is the parquet.BufferedReader the page reader reads one
// column chunk through: the chunk is in memory whole, so Peek is a slice
// of it.
type chunkStream struct {
	b   []byte
	off int
}

var errNegativeCount = errors.New("negative count")

func (s *chunkStream) Peek(n int) ([]byte, error) {
	if n < 0 {
		return nil, errNegativeCount
	}
	rest := s.b[s.off:]
	if n > len(rest) {
		return rest, io.EOF
	}
	return rest[:n], nil
}

func (s *chunkStream) Discard(n int) (int, error) {
	if n < 0 {
		return 0, errNegativeCount
	}
	if rest := len(s.b) - s.off; n > rest {
		s.off = len(s.b)
		return rest, io.EOF
	}
	s.off += n
	return n, nil
}

func (s *chunkStream) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if s.off >= len(s.b) {
		return 0, io.EOF
	}
	n := copy(p, s.b[s.off:])
	s.off += n
	return n, nil
}

// pageArena is the memory.Allocator of one chunkDecoder's page reader. It
// keeps every buffer it hands out and ignores Free, because arrow v15's
// page reader frees a page's buffer while the page is still being decoded
// (which is why a pooling allocator corrupted reads). The buffers are
// handed out again only after reset, once the whole chunk is decoded.
type pageArena struct {
	bufs [][]byte
	used int // bufs[:used] are handed out
}

// arenaAlign is the alignment arrow's Go allocator gives its buffers.
const arenaAlign = 64

func (a *pageArena) Allocate(size int) []byte {
	for i := a.used; i < len(a.bufs); i++ {
		if cap(a.bufs[i]) >= size {
			a.bufs[a.used], a.bufs[i] = a.bufs[i], a.bufs[a.used]
			b := a.bufs[a.used][:size]
			a.used++
			// Zeroed, as arrow's allocator returns it.
			clear(b)
			return b
		}
	}
	raw := make([]byte, size+arenaAlign)
	shift := int(-uintptr(unsafe.Pointer(unsafe.SliceData(raw))) & (arenaAlign - 1))
	b := raw[shift : shift+size : len(raw)]
	a.bufs = append(a.bufs, nil)
	a.bufs[len(a.bufs)-1], a.bufs[a.used] = a.bufs[a.used], b
	a.used++
	return b
}

func (a *pageArena) Reallocate(size int, b []byte) []byte {
	if cap(b) >= size {
		return b[:size]
	}
	nb := a.Allocate(size)
	copy(nb, b)
	return nb
}

func (a *pageArena) Free([]byte) {}

func (a *pageArena) reset() { a.used = 0 }
