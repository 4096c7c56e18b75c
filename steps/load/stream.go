package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/dataset"
	"github.com/pipe-ml/pipe/steps/shared/media"
)

// errNotStreamed says that the files hold something the stream does not
// write (an invalid row, a file it cannot read, a third class): Run then
// reads them whole, which finds and reports it exactly as it always did.
var errNotStreamed = errors.New("load: not streamed")

// streamable says whether streamParquet may read the files: every one
// Parquet with wide features.
func streamable(c *config, files []steps.File) bool {
	if c.prefix == "" {
		return false
	}
	for _, f := range files {
		if fileFormat(f.Path, c.format) != "parquet" {
			return false
		}
	}
	return true
}

// streamParquet reads Parquet files of wide features into one dataset
// while it writes it (see the package documentation's "Streaming
// Parquet"): the scalar columns first, then row group by row group, each
// decoded into columns and written a block of rows at a time. It returns
// an error wrapping errNotStreamed, having stored nothing, when the files
// hold an invalid row or anything else the whole read must report.
func streamParquet(ctx context.Context, env steps.Env, c *config, files []steps.File) (_ steps.Outputs, err error) {
	start := time.Now()
	par := max(1, env.Parallelism())
	pqs, total, totalBytes, err := openParquets(c, files)
	defer func() {
		for _, pq := range pqs {
			pq.close()
		}
	}()
	if err != nil {
		return nil, err
	}
	// The memory the features are decoded into has its pages mapped
	// while the scalar columns are read (see prefault).
	rt := &rowRouter{dim: c.dim, columns: make([]float32, largestRowGroup(pqs)*c.dim)}
	prefaulted := rt.prefault()
	defer func() {
		rt.front.Store(math.MaxInt64)
		<-prefaulted
		if errors.Is(err, errNotStreamed) {
			// The whole read comes next: give back the memory for the
			// columns first, rather than hold both.
			rt.columns = nil
			debug.FreeOSMemory()
		}
	}()
	t := newScalarTable(c, int(total))
	lab := &labeler{positive: c.positive, negative: c.negative}
	if err := readAllScalars(ctx, pqs, t, lab, par); err != nil {
		return nil, err
	}
	scalars := time.Since(start)
	positives := 0
	for _, y := range t.y {
		positives += int(y)
	}
	if lab.thirdClass(c.label, positives) != nil || positives == 0 || positives == len(t.y) {
		return nil, errNotStreamed
	}

	meta := dataset.Meta{Positive: c.positive.s, Part: dataset.PartData, Features: c.featureDesc(), Source: describeSources(files)}
	parts, route, err := splitParts(c, t, meta)
	if err != nil {
		return nil, err
	}
	var done atomic.Int64
	progress := func(n int64, note string) { env.Progress(done.Add(n), totalBytes, note) }
	rt.route = route
	arts, err := streamParts(ctx, env, parts, func(sinks []*rowSink) error {
		rt.sinks = sinks
		return streamRowGroups(ctx, pqs, par, rt, progress)
	})
	// The phases, for profiling: reading the scalar columns, decoding the
	// features (beside writing the previous row group), and transposing
	// and queueing the rows (beside writing and hashing them), which
	// ends when the last block is queued.
	env.Logger().Info("read", "rows", len(t.y), "bytes", totalBytes, "seconds", time.Since(start).Seconds(), "streamed", true,
		"scalars_seconds", scalars.Seconds(), "decode_seconds", rt.decoding.Seconds(), "transpose_seconds", rt.writing.Seconds())
	if err != nil {
		return nil, err
	}
	out := steps.Outputs{
		"data": cty.NullVal(steps.ArtifactType), "train": cty.NullVal(steps.ArtifactType), "test": cty.NullVal(steps.ArtifactType),
		"rows": cty.NumberIntVal(int64(len(t.y))), "positives": cty.NumberIntVal(int64(positives)),
		"dim": cty.NumberIntVal(int64(c.dim)), "skipped": cty.NumberIntVal(0),
		"train_rows": cty.NullVal(cty.Number), "test_rows": cty.NullVal(cty.Number),
	}
	for k, d := range parts {
		out[d.Meta.Part] = arts[k].Value()
		if len(parts) > 1 {
			out[d.Meta.Part+"_rows"] = cty.NumberIntVal(int64(d.N))
		}
	}
	return out, nil
}

// openParquets opens the files, returning those it opened (to close)
// and their rows and bytes; a file it cannot open is errNotStreamed.
func openParquets(c *config, files []steps.File) (pqs []*parquetFile, rows, bytes int64, err error) {
	for _, f := range files {
		pq, err := openParquet(&source{path: f.Path, abs: f.Abs, digest: f.Digest, size: f.Size}, c)
		if err != nil {
			return pqs, 0, 0, fmt.Errorf("%w: %v", errNotStreamed, err)
		}
		pqs = append(pqs, pq)
		// The footer's row groups are checked before the memory they
		// promise is allocated and mapped.
		groups, err := pq.rowGroups()
		if err == nil {
			err = pq.checkChunks(groups)
		}
		if err != nil {
			return pqs, 0, 0, fmt.Errorf("%w: %v", errNotStreamed, err)
		}
		rows += int64(pq.rows)
		bytes += f.Size
	}
	if rows*int64(c.dim) > math.MaxInt/8 {
		return pqs, 0, 0, errNotStreamed
	}
	return pqs, rows, bytes, nil
}

// largestRowGroup is the most rows a row group of the files holds, as
// their footers say (rowGroups checks them before any is read).
func largestRowGroup(pqs []*parquetFile) int {
	most := 0
	for _, pq := range pqs {
		md := pq.fr.ParquetReader().MetaData()
		for i := range len(md.RowGroups) {
			if n := md.RowGroup(i).NumRows(); n > int64(most) && n <= int64(pq.rows) {
				most = int(n)
			}
		}
	}
	return most
}

// splitParts returns the datasets the rows of t go to, without their
// matrices: one, or with a split train and test, and then each row's
// part (route). A split that leaves a part empty is errNotStreamed: the
// whole read reports it.
func splitParts(c *config, t *table, meta dataset.Meta) (parts []*dataset.Dataset, route []uint8, err error) {
	if c.split == nil {
		return []*dataset.Dataset{{N: len(t.y), Dim: c.dim, Y: t.y, W: t.w, IDs: t.ids, Texts: t.texts, Meta: meta}}, nil, nil
	}
	test := splitRows(t.y, t.groups, c.split)
	route = make([]uint8, len(test))
	for i, b := range test {
		if b {
			route[i] = 1
		}
	}
	for p, name := range []string{dataset.PartTrain, dataset.PartTest} {
		d := &dataset.Dataset{Dim: c.dim, Meta: meta}
		d.Meta.Part = name
		for i, r := range route {
			if int(r) != p {
				continue
			}
			d.N++
			d.Y = append(d.Y, t.y[i])
			if t.w != nil {
				d.W = append(d.W, t.w[i])
			}
			if t.ids != nil {
				d.IDs = append(d.IDs, t.ids[i])
			}
			if t.texts != nil {
				d.Texts = append(d.Texts, t.texts[i])
			}
		}
		if d.N == 0 {
			return nil, nil, errNotStreamed
		}
		parts = append(parts, d)
	}
	return parts, route, nil
}

// streamParts stores each of parts, on a goroutine of its own, writing
// the rows that produce (run on the calling goroutine) queues in its
// rowSink. A part whose rows produce failed to give is not stored.
func streamParts(ctx context.Context, env steps.Env, parts []*dataset.Dataset, produce func([]*rowSink) error) ([]steps.Artifact, error) {
	sinks := make([]*rowSink, len(parts))
	arts := make([]steps.Artifact, len(parts))
	errs := make([]error, len(parts))
	for k, d := range parts {
		sinks[k] = newRowSink(d.Dim)
		go func() {
			defer close(sinks[k].done)
			start := time.Now()
			arts[k], errs[k] = env.PutArtifact(ctx, media.Dataset.Type, func(w io.Writer) error {
				return dataset.WriteStream(w, d, sinks[k].drain)
			})
			env.Logger().Info("stored", "part", d.Meta.Part, "bytes", arts[k].Size, "seconds", time.Since(start).Seconds())
		}()
	}
	err := produce(sinks)
	for _, s := range sinks {
		s.finish(err)
	}
	for _, s := range sinks {
		<-s.done
	}
	switch {
	case err != nil && err != errWriterStopped:
		return nil, err
	}
	for k, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("load: storing the %s dataset: %w", parts[k].Meta.Part, err)
		}
	}
	return arts, nil
}

// readAllScalars reads the scalar columns of every file into t.
func readAllScalars(ctx context.Context, pqs []*parquetFile, t *table, lab *labeler, par int) error {
	base := 0
	for _, pq := range pqs {
		if err := pq.readScalars(ctx, t, base, lab, par); err != nil {
			return err
		}
		base += pq.rows
	}
	// Reading them through pqarrow left garbage (its arrays and buffers)
	// that would otherwise stand beside the whole columns at the peak:
	// collected now, cheaply (the columns hold no pointers), peak memory
	// on 100k × 584 fell from 326 to 310 MB.
	runtime.GC()
	return nil
}

// readScalars reads the file's scalar columns (label, weight, ids,
// texts, groups) into t from row base on. Any invalid row is
// errNotStreamed.
func (pq *parquetFile) readScalars(ctx context.Context, t *table, base int, lab *labeler, par int) error {
	problems, err := runParquetJobs(ctx, pq.scalarJobs(ctx, t, base, lab), par, func() {})
	if err := ctx.Err(); err != nil {
		return err
	}
	if err != nil {
		return fmt.Errorf("%w: %v", errNotStreamed, err)
	}
	if errs := pq.merge(t, base, problems); errs.count > 0 || errs.fatal != nil {
		return errNotStreamed
	}
	return nil
}

// streamRowGroups reads the files' wide features, row group by row
// group: each one's columns are decoded in parallel into column-major
// memory (which, for a file of one row group, is as big as the matrix:
// no row is complete before its last column), then transposed and
// queued a block of rows at a time, whose writes (and the store's
// hashing of them) overlap the next block's transposing and the next
// row group's decoding.
func streamRowGroups(ctx context.Context, pqs []*parquetFile, par int, rt *rowRouter, progress func(int64, string)) error {
	defer rt.front.Store(math.MaxInt64) // stop prefault
	dim := rt.dim
	cols := rt.columns
	base := 0
	for _, pq := range pqs {
		groups, err := pq.rowGroups()
		if err == nil {
			err = pq.checkChunks(groups)
		}
		if err != nil {
			return fmt.Errorf("%w: %v", errNotStreamed, err)
		}
		note := "reading " + pq.src.path
		for _, rg := range groups {
			n := rg.rows
			if n == 0 {
				continue
			}
			if cap(cols) < n*dim {
				cols = nil // let the smaller one go first
				cols = make([]float32, n*dim)
			}
			var jobs []parquetJob
			for j0 := 0; j0 < dim; j0 += parquetGroup {
				j1 := min(j0+parquetGroup, dim)
				jobs = append(jobs, func(w *wideScratch, pp *parquetProblems) error {
					rt.decodingTo(int64(j1 * n))
					dst := make([][]float32, j1-j0)
					for k := range dst {
						dst[k] = cols[(j0+k)*n : (j0+k+1)*n : (j0+k+1)*n]
					}
					return pq.decodeWide(ctx, rg, j0, dst, w, pp)
				})
			}
			share := pq.size * int64(n) / int64(pq.rows) / int64(len(jobs))
			decoding := time.Now()
			problems, err := runParquetJobs(ctx, jobs, par, func() { progress(share, note) })
			rt.decoding += time.Since(decoding)
			if err := ctx.Err(); err != nil {
				return err
			}
			if err != nil {
				return fmt.Errorf("%w: %v", errNotStreamed, err)
			}
			for k := range problems {
				if problems[k].bad != nil || problems[k].nonFinite {
					return errNotStreamed
				}
			}
			writing := time.Now()
			if err := rt.write(ctx, cols[:n*dim], n, base+rg.row); err != nil {
				return err
			}
			rt.writing += time.Since(writing)
		}
		base += pq.rows
	}
	return nil
}

// rowBlockBytes is the size of the blocks of rows a rowSink queues:
// past the store's 1 MiB write buffer, so that every block after the
// first is written (and hashed) straight from the block, and small
// enough to be in cache still when it is hashed.
const rowBlockBytes = 2 << 20

// rowBuffers is how many blocks a rowSink has: one being written, the
// others being filled.
const rowBuffers = 3

// transposeTile is how many rows rowRouter transposes at a time: on
// 100k × 584 (BenchmarkRowWriter) 84 ms against 105 ms untiled, on a
// busy machine; 16 to 256 rows were no better.
const transposeTile = 64

// errWriterStopped says that a dataset's write stopped; its Put says why.
var errWriterStopped = errors.New("load: the dataset writer stopped")

// rowSink is the queue of blocks of rows of one dataset: the stream
// fills them (room, filled) and the dataset's write, on its Put's
// goroutine, writes them (drain).
type rowSink struct {
	dim, rows int // rows per block
	free      chan []float32
	full      chan []float32
	cur       []float32 // the block being filled, or nil
	failed    atomic.Bool
	abort     error         // why the stream stopped; set before full is closed
	done      chan struct{} // closed when the Put returns
}

func newRowSink(dim int) *rowSink {
	s := &rowSink{dim: dim, rows: max(1, (rowBlockBytes+dim*4-1)/(dim*4)),
		free: make(chan []float32, rowBuffers), full: make(chan []float32, rowBuffers), done: make(chan struct{})}
	for range rowBuffers {
		s.free <- make([]float32, 0, s.rows*dim)
	}
	return s
}

// room returns the space left in the current block (at least a row),
// taking a free block when there is none. It returns errWriterStopped
// once a write failed or the Put returned.
func (s *rowSink) room(ctx context.Context) ([]float32, error) {
	if s.cur == nil {
		select {
		case s.cur = <-s.free:
		case <-s.done:
			return nil, errWriterStopped
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if s.failed.Load() {
			return nil, errWriterStopped
		}
	}
	return s.cur[len(s.cur):cap(s.cur)], nil
}

// filled adds the first rows rows of room to the block, and queues the
// block when it is full. It never blocks: there are only rowBuffers
// blocks.
func (s *rowSink) filled(rows int) {
	s.cur = s.cur[:len(s.cur)+rows*s.dim]
	if len(s.cur) == cap(s.cur) {
		s.full <- s.cur
		s.cur = nil
	}
}

// finish queues the last block and ends the queue; abort, nil when every
// row was queued, is what drain returns then.
func (s *rowSink) finish(abort error) {
	if len(s.cur) > 0 && abort == nil {
		s.full <- s.cur
	}
	s.cur = nil
	s.abort = abort
	close(s.full)
}

// drain writes the queued blocks to w until finish, and returns the
// first write's error, or why the stream stopped.
func (s *rowSink) drain(w io.Writer) error {
	var err error
	for b := range s.full {
		if err == nil {
			if _, err = w.Write(float32Bytes(b)); err != nil {
				s.failed.Store(true)
			}
		}
		s.free <- b[:0]
	}
	if err == nil {
		err = s.abort
	}
	return err
}

// rowRouter transposes column-major rows into the sinks of their parts.
type rowRouter struct {
	dim   int
	sinks []*rowSink
	route []uint8 // the part of each row (in all files), or nil: one part
	tile  []float32
	cols  [][]float32
	// decoding and writing add up the time spent decoding row groups
	// and in write.
	decoding, writing time.Duration
	// columns is the memory row groups are decoded into; the decoders
	// write to it below front (see prefault).
	columns []float32
	front   atomic.Int64
}

// prefaultChunk is how much of columns prefault maps at a time.
const prefaultChunk = 2 << 20

// prefault maps the pages of columns, back to front, on a goroutine of
// its own, until it reaches the part the decoders write to (front) or
// front is set to the maximum; the channel it returns is closed then.
// The first write to each page of new memory is a page fault: 0.09 s
// of kernel time for 234 MB, which this moves off the decoders and into
// the time the scalar columns are read, when a core is idle. It never
// writes a byte: the kernel maps the pages as they are
// (MADV_POPULATE_WRITE), so meeting a decoder does no harm.
func (r *rowRouter) prefault() <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		b := float32Bytes(r.columns)
		for hi := len(b); hi > 0; hi -= prefaultChunk {
			lo := max(0, hi-prefaultChunk)
			if int64(lo/4) < r.front.Load() || !populate(b[lo:hi]) {
				return
			}
		}
	}()
	return done
}

// decodingTo says that a decoder writes columns below value index v.
func (r *rowRouter) decodingTo(v int64) {
	for {
		f := r.front.Load()
		if f >= v || r.front.CompareAndSwap(f, v) {
			return
		}
	}
}

// write queues the n rows of cols, which holds them column by column
// (column j is cols[j*n:(j+1)*n]), the first being row base of all the
// files.
func (r *rowRouter) write(ctx context.Context, cols []float32, n, base int) error {
	for t0 := 0; t0 < n; {
		if r.route == nil {
			// One part: straight into its block.
			room, err := r.sinks[0].room(ctx)
			if err != nil {
				return err
			}
			t1 := min(t0+transposeTile, n, t0+len(room)/r.dim)
			r.transpose(room, cols, n, t0, t1)
			r.sinks[0].filled(t1 - t0)
			t0 = t1
			continue
		}
		t1 := min(t0+transposeTile, n)
		if r.tile == nil {
			r.tile = make([]float32, transposeTile*r.dim)
		}
		r.transpose(r.tile, cols, n, t0, t1)
		for i := t0; i < t1; i++ {
			s := r.sinks[r.route[base+i]]
			room, err := s.room(ctx)
			if err != nil {
				return err
			}
			copy(room[:r.dim], r.tile[(i-t0)*r.dim:])
			s.filled(1)
		}
		t0 = t1
	}
	return nil
}

// transpose writes rows t0 to t1-1 of the column-major cols (n rows)
// into dst, row-major.
func (r *rowRouter) transpose(dst, cols []float32, n, t0, t1 int) {
	for j0 := 0; j0 < r.dim; j0 += parquetGroup {
		r.cols = r.cols[:0]
		for j := j0; j < min(j0+parquetGroup, r.dim); j++ {
			r.cols = append(r.cols, cols[j*n+t0:j*n+t1])
		}
		scatter(dst, r.dim, j0, r.cols)
	}
}

// float32Bytes views s as its bytes, in the machine's byte order.
func float32Bytes(s []float32) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*4)
}
