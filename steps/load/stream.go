package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
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
// Parquet with wide features, and no split.
func streamable(c *config, files []steps.File) bool {
	if c.prefix == "" || c.split != nil {
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
func streamParquet(ctx context.Context, env steps.Env, c *config, files []steps.File) (steps.Outputs, error) {
	start := time.Now()
	par := max(1, env.Parallelism())
	var pqs []*parquetFile
	defer func() {
		for _, pq := range pqs {
			pq.close()
		}
	}()
	var total, totalBytes int64
	for _, f := range files {
		pq, err := openParquet(&source{path: f.Path, abs: f.Abs, digest: f.Digest, size: f.Size}, c)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errNotStreamed, err)
		}
		pqs = append(pqs, pq)
		total += int64(pq.rows)
		totalBytes += f.Size
	}
	if total*int64(c.dim) > math.MaxInt/8 {
		return nil, errNotStreamed
	}
	t := newScalarTable(c, int(total))
	lab := &labeler{positive: c.positive, negative: c.negative}
	base := 0
	for _, pq := range pqs {
		if err := pq.readScalars(ctx, t, base, lab, par); err != nil {
			return nil, err
		}
		base += pq.rows
	}
	positives := 0
	for _, y := range t.y {
		positives += int(y)
	}
	if lab.thirdClass(c.label, positives) != nil || positives == 0 || positives == len(t.y) {
		return nil, errNotStreamed
	}

	d := &dataset.Dataset{N: len(t.y), Dim: c.dim, Y: t.y, W: t.w, IDs: t.ids, Texts: t.texts,
		Meta: dataset.Meta{Positive: c.positive.s, Part: dataset.PartData, Features: c.featureDesc(), Source: describeSources(files)}}
	var done atomic.Int64
	progress := func(n int64, note string) { env.Progress(done.Add(n), totalBytes, note) }
	stored := time.Now()
	a, err := env.PutArtifact(ctx, media.Dataset.Type, func(w io.Writer) error {
		return dataset.WriteStream(w, d, func(w io.Writer) error {
			return streamFeatures(ctx, pqs, c.dim, par, w, progress)
		})
	})
	env.Logger().Info("read", "rows", len(t.y), "bytes", totalBytes, "seconds", time.Since(start).Seconds(), "streamed", true)
	env.Logger().Info("stored", "part", d.Meta.Part, "bytes", a.Size, "seconds", time.Since(stored).Seconds())
	switch {
	case errors.Is(err, errNotStreamed):
		runtime.GC() // the columns decoded so far are garbage: give them back before the whole read
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("load: storing the %s dataset: %w", d.Meta.Part, err)
	}
	return steps.Outputs{
		"data": a.Value(), "train": cty.NullVal(steps.ArtifactType), "test": cty.NullVal(steps.ArtifactType),
		"rows": cty.NumberIntVal(int64(len(t.y))), "positives": cty.NumberIntVal(int64(positives)),
		"dim": cty.NumberIntVal(int64(c.dim)), "skipped": cty.NumberIntVal(0),
		"train_rows": cty.NullVal(cty.Number), "test_rows": cty.NullVal(cty.Number),
	}, nil
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

// streamFeatures writes the files' wide features to w as the row-major
// matrix, row group by row group: each one's columns are decoded in
// parallel into column-major memory (which, for a file of one row group,
// is as big as the matrix: no row is complete before its last column),
// then transposed a block of rows at a time and written by a rowWriter,
// whose writes (and the store's hashing of them) overlap the next
// block's transposing and the next row group's decoding.
func streamFeatures(ctx context.Context, pqs []*parquetFile, dim, par int, w io.Writer, progress func(int64, string)) error {
	rw := newRowWriter(w, dim)
	err := streamRowGroups(ctx, pqs, dim, par, rw, progress)
	if werr := rw.close(); werr != nil && (err == nil || err == errWriterStopped) {
		return werr
	}
	return err
}

func streamRowGroups(ctx context.Context, pqs []*parquetFile, dim, par int, rw *rowWriter, progress func(int64, string)) error {
	var cols []float32
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
					dst := make([][]float32, j1-j0)
					for k := range dst {
						dst[k] = cols[(j0+k)*n : (j0+k+1)*n : (j0+k+1)*n]
					}
					return pq.decodeWide(ctx, rg, j0, dst, w, pp)
				})
			}
			share := pq.size * int64(n) / int64(pq.rows) / int64(len(jobs))
			problems, err := runParquetJobs(ctx, jobs, par, func() { progress(share, note) })
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
			if err := rw.write(ctx, cols[:n*dim], n); err != nil {
				return err
			}
		}
	}
	return nil
}

// rowBlockBytes is the size of the blocks of rows a rowWriter writes:
// past the store's 1 MiB write buffer, so that every block after the
// first is written (and hashed) straight from the block, and small
// enough to be in cache still when it is hashed.
const rowBlockBytes = 2 << 20

// rowBuffers is how many blocks a rowWriter has: one being written,
// the others being filled.
const rowBuffers = 3

// errWriterStopped says the rowWriter stopped writing; close returns why.
var errWriterStopped = errors.New("load: the dataset writer stopped")

// rowWriter transposes column-major rows into row-major blocks and writes
// them to w on its own goroutine while the caller fills the next ones.
type rowWriter struct {
	w         io.Writer
	dim, rows int // rows per block
	free      chan []float32
	full      chan []float32
	done      chan struct{}
	failed    atomic.Bool
	err       error // set by run; read after done
	cols      [][]float32
}

func newRowWriter(w io.Writer, dim int) *rowWriter {
	rw := &rowWriter{w: w, dim: dim, rows: max(1, (rowBlockBytes+dim*4-1)/(dim*4)),
		free: make(chan []float32, rowBuffers), full: make(chan []float32, rowBuffers), done: make(chan struct{})}
	for range rowBuffers {
		rw.free <- make([]float32, rw.rows*dim)
	}
	go rw.run()
	return rw
}

func (rw *rowWriter) run() {
	defer close(rw.done)
	for b := range rw.full {
		if rw.err == nil {
			if _, err := rw.w.Write(float32Bytes(b)); err != nil {
				rw.err = err
				rw.failed.Store(true)
			}
		}
		rw.free <- b[:cap(b)]
	}
}

// write queues the n rows of cols, which holds them column by column
// (column j is cols[j*n:(j+1)*n]), in blocks of rows. It returns
// errWriterStopped once a write has failed.
func (rw *rowWriter) write(ctx context.Context, cols []float32, n int) error {
	for r0 := 0; r0 < n; r0 += rw.rows {
		r1 := min(r0+rw.rows, n)
		var b []float32
		select {
		case b = <-rw.free:
		case <-ctx.Done():
			return ctx.Err()
		}
		if rw.failed.Load() {
			rw.free <- b
			return errWriterStopped
		}
		b = b[:(r1-r0)*rw.dim]
		for j0 := 0; j0 < rw.dim; j0 += parquetGroup {
			rw.cols = rw.cols[:0]
			for j := j0; j < min(j0+parquetGroup, rw.dim); j++ {
				rw.cols = append(rw.cols, cols[j*n+r0:j*n+r1])
			}
			scatter(b, rw.dim, j0, rw.cols)
		}
		rw.full <- b // never blocks: there are only rowBuffers blocks
	}
	return nil
}

// close waits until every queued block is written and returns the first
// write's error.
func (rw *rowWriter) close() error {
	close(rw.full)
	<-rw.done
	return rw.err
}

// float32Bytes views s as its bytes, in the machine's byte order.
func float32Bytes(s []float32) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*4)
}
