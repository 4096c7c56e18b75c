package load

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/metadata"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"

	"github.com/pipe-ml/pipe/steps/shared/dataset"
)

// parquetGroup is how many wide feature columns one goroutine reads
// before scattering them into the row-major matrix: enough that each row
// receives a whole cache line of values at once, few enough to keep the
// extra memory small (scatter has an unrolled loop for 16). It changes no
// result.
const parquetGroup = 16

// gcPacer holds peak memory near the matrix while Parquet is read.
// Decoding a column chunk through pqarrow (the vector and scalar columns;
// wide features go through chunkDecoder, which reuses its buffers)
// allocates several times its values' bytes (the compressed chunk, the
// decoded page, the Arrow array) and drops them at once. Left to Go's
// pacer, whose goal is twice the live heap, and
// with the matrix live from the start, that garbage would double peak
// memory. So after each column the reader checks how much the process has
// allocated since the last collection and, past a budget of a tenth of the
// matrix, runs one (synchronously: in the background, on a busy machine,
// it could not keep up). A collection is cheap here: the matrix holds no
// pointers to scan. (A pooling allocator given to pqarrow corrupted
// reads: arrow v15's page reader frees a page's buffer while the page is
// still being decoded. chunkDecoder's pageArena allows for that.)
type gcPacer struct {
	budget uint64
	mu     sync.Mutex
	last   uint64
	sample [1]metrics.Sample
}

func newGCPacer(matrixBytes int) *gcPacer {
	g := &gcPacer{budget: max(8<<20, uint64(matrixBytes)/10)}
	g.sample[0].Name = "/gc/heap/allocs:bytes"
	g.check()
	return g
}

func (g *gcPacer) check() {
	g.mu.Lock()
	defer g.mu.Unlock()
	metrics.Read(g.sample[:])
	if g.sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	allocs := g.sample[0].Value.Uint64()
	if g.last == 0 {
		g.last = allocs
		return
	}
	if allocs-g.last < g.budget {
		return
	}
	g.last = allocs
	// Holding mu, other readers wait at their next check rather than
	// pile up garbage while this collection runs.
	runtime.GC()
}

// parquetFile is an open Parquet file with its columns mapped.
type parquetFile struct {
	src      *source
	f        *os.File
	fr       *pqarrow.FileReader
	rows     int
	size     int64 // as the input list gave it, for progress
	fileSize int64 // as opened
	names    []string
	features []int // field index of feature j (wide layout)
	vector   int   // field index of the vector column, or -1
	label    int
	id       int
	text     int
	weight   int
	group    int
	gc       *gcPacer
	// touched is closed once read has touched every page of the matrix
	// (see read).
	touched chan struct{}
}

// openParquet opens a Parquet file and maps its columns. A file the
// Parquet reader cannot make sense of (or panics on) is an error naming
// it.
func openParquet(src *source, c *config) (_ *parquetFile, err error) {
	f, err := os.Open(src.abs)
	if err != nil {
		return nil, fmt.Errorf("load: %s: %w", src.path, err)
	}
	defer func() {
		if p := recover(); p != nil {
			err = unreadableParquet(src, fmt.Errorf("%v", p))
		}
		if err != nil {
			f.Close()
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("load: %s: %w", src.path, err)
	} else if st.Size() == 0 {
		return nil, fileErrorf(src, "the file is empty", "Point path at Parquet files that hold data rows.")
	}
	mem := memory.DefaultAllocator
	props := parquet.NewReaderProperties(mem)
	// A wide file is read a column chunk at a time, whole; a vector
	// column's chunk can be the whole file, so it is streamed.
	props.BufferedStreamEnabled = c.column != ""
	props.BufferSize = 1 << 20
	pf, err := file.NewParquetReader(f, file.WithReadProps(props))
	if err != nil {
		return nil, unreadableParquet(src, err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 16}, mem)
	if err != nil {
		return nil, unreadableParquet(src, err)
	}
	schema, err := fr.Schema()
	if err != nil {
		return nil, unreadableParquet(src, err)
	}
	pq := &parquetFile{src: src, f: f, fr: fr, rows: int(pf.NumRows()), size: src.size, fileSize: st.Size(),
		vector: -1, label: -1, id: -1, text: -1, weight: -1, group: -1}
	if int64(pq.rows) != pf.NumRows() || pq.rows < 0 {
		return nil, unreadableParquet(src, fmt.Errorf("row count %d is out of range", pf.NumRows()))
	}
	if err := pq.mapColumns(schema, c); err != nil {
		return nil, err
	}
	if pq.vector >= 0 {
		if fsl, ok := schema.Field(pq.vector).Type.(*arrow.FixedSizeListType); ok {
			if int(fsl.Len()) != c.dim {
				return nil, fileErrorf(src, fmt.Sprintf("column %s is a fixed-size list of %d values, features.dim is %d", c.column, fsl.Len(), c.dim),
					fmt.Sprintf("Set features.dim to %d, or point features.column at the column with the embedding.", fsl.Len()))
			}
			// A fixed-size list is stored in Parquet as a plain list; only
			// the Arrow schema kept in the file's metadata says it is fixed.
			// Arrow v15's reader refuses such a column when a row is null
			// ("expected all lists to be of size=N"), which pyarrow writes
			// for a missing embedding. Read the column as the list it is
			// stored as: a null row is then an invalid row, named with its
			// row and column like any other, and every other row is checked
			// against dim by copyVector.
			m, err := pqarrow.NewSchemaManifest(pf.MetaData().Schema, nil, &fr.Props)
			if err != nil {
				return nil, unreadableParquet(src, err)
			}
			fr.Manifest = m
		}
	}
	if pq.rows == 0 {
		return nil, fileErrorf(src, "the file has no rows", "Point path at Parquet files that hold data rows.")
	}
	return pq, nil
}

func unreadableParquet(src *source, err error) error {
	return fileErrorf(src, fmt.Sprintf("not a readable Parquet file (%v)", err),
		"Check that the file is complete (not truncated by a failed copy) and really Parquet; rewrite it if needed.")
}

func (pq *parquetFile) mapColumns(schema *arrow.Schema, c *config) error {
	fields := schema.Fields()
	found := map[string]int{}
	var seenFeature []bool
	if c.prefix != "" {
		seenFeature = make([]bool, c.dim)
		pq.features = make([]int, c.dim)
	}
	for i, fd := range fields {
		name := fd.Name
		pq.names = append(pq.names, name)
		var slot *int
		switch {
		case name == c.label:
			slot = &pq.label
		case c.column != "" && name == c.column:
			slot = &pq.vector
		case c.id != "" && name == c.id:
			slot = &pq.id
		case c.text != "" && name == c.text:
			slot = &pq.text
		case c.weight != "" && name == c.weight:
			slot = &pq.weight
		case c.split != nil && c.split.group != "" && name == c.split.group:
			slot = &pq.group
		case c.prefix != "":
			j, ok := featureIndex(name, c.prefix)
			if !ok {
				continue
			}
			if j >= c.dim {
				return fileErrorf(pq.src, fmt.Sprintf("column %s is beyond features.dim = %d: the file's embedding is wider", name, c.dim),
					fmt.Sprintf("Set features.dim to the number of %s columns (%d here).", c.prefix, countPrefixed(pq.names, c.prefix)+countPrefixedFields(fields[i+1:], c.prefix)))
			}
			if seenFeature[j] {
				return fileErrorf(pq.src, fmt.Sprintf("column %s appears twice", name), "Give every column its own name.")
			}
			if !isFloat(fd.Type) {
				return fileErrorf(pq.src, fmt.Sprintf("column %s is %s, want float or double", name, fd.Type),
					"Write the embedding as float32 or float64 columns.")
			}
			seenFeature[j] = true
			pq.features[j] = i
			continue
		default:
			continue
		}
		if _, dup := found[name]; dup {
			return fileErrorf(pq.src, fmt.Sprintf("column %s appears twice", name), "Give every column its own name.")
		}
		found[name] = i
		*slot = i
	}
	if err := checkColumns(pq.src, c, pq.names, found, seenFeature); err != nil {
		return err
	}
	if pq.vector >= 0 {
		if elem := listElem(fields[pq.vector].Type); elem == nil || !isFloat(elem) {
			return fileErrorf(pq.src, fmt.Sprintf("column %s is %s, want a list of float or double", c.column, fields[pq.vector].Type),
				"Write the embedding as a list<float> or fixed_size_list<float> column, or use features.prefix for wide columns.")
		}
	}
	if pq.weight >= 0 && !isNumber(fields[pq.weight].Type) {
		return fileErrorf(pq.src, fmt.Sprintf("column %s is %s, want a number", c.weight, fields[pq.weight].Type), "Set weight to a numeric column.")
	}
	if t := fields[pq.label].Type; !isScalar(t) {
		return fileErrorf(pq.src, fmt.Sprintf("label column %s is %s, want a string, integer or boolean", c.label, t), "Set label to a column of class labels.")
	}
	return nil
}

func countPrefixedFields(fields []arrow.Field, prefix string) int {
	n := 0
	for _, f := range fields {
		if _, ok := featureIndex(f.Name, prefix); ok {
			n++
		}
	}
	return n
}

func isFloat(t arrow.DataType) bool {
	return t.ID() == arrow.FLOAT32 || t.ID() == arrow.FLOAT64
}

func isNumber(t arrow.DataType) bool {
	return arrow.IsInteger(t.ID()) || isFloat(t)
}

func isScalar(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.BOOL, arrow.DICTIONARY:
		return true
	}
	return isNumber(t)
}

func listElem(t arrow.DataType) arrow.DataType {
	switch t := t.(type) {
	case *arrow.ListType:
		return t.Elem()
	case *arrow.LargeListType:
		return t.Elem()
	case *arrow.FixedSizeListType:
		return t.Elem()
	}
	return nil
}

// parquetProblems collects the invalid rows one goroutine finds: every
// invalid row marked in bad, the first few per column in detail. Since a
// row among the first maxListed invalid rows overall is among the first
// maxListed of whichever column flagged it, merging the detail lists and
// keeping the lowest rows gives the first maxListed exactly.
type parquetProblems struct {
	bad    []bool
	listed []rowError
	perCol map[int]int
	// nonFinite is set when a wide feature read is NaN or ±Inf: only
	// then are the rows searched for them (see read).
	nonFinite bool
}

func (pp *parquetProblems) add(n int, row int, col int, column, msg string, file string) {
	if pp.bad == nil {
		pp.bad = make([]bool, n)
		pp.perCol = map[int]int{}
	}
	pp.bad[row] = true
	if pp.perCol[col] < maxListed {
		pp.perCol[col]++
		pp.listed = append(pp.listed, rowError{file: file, row: int64(row) + 1, column: column, msg: msg})
	}
}

// read reads every configured column into t from row base on, with up to
// par goroutines. A panic inside the Parquet reader becomes an error
// naming the file.
func (pq *parquetFile) read(ctx context.Context, t *table, base int, lab *labeler, par int, progress func(int64)) (*rowErrors, error) {
	pq.gc = newGCPacer(len(t.x) * 4)
	// Jobs: one per row group and group of wide features, or one for the
	// vector column, then one per scalar column. They write disjoint parts
	// of t.
	jobs, err := pq.featureJobs(ctx, t, base, par)
	if err != nil {
		return nil, unreadableParquet(pq.src, err)
	}
	// Strings last: until they exist, the collections the pacer runs
	// while features are read have no pointers to follow.
	jobs = append(jobs, pq.scalarJobs(ctx, t, base, lab)...)
	problems, err := runParquetJobs(ctx, jobs, par, func() { progress(pq.size / int64(len(jobs))) })
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, unreadableParquet(pq.src, err)
	}
	return pq.merge(t, base, problems), nil
}

// parquetJob reads a part of a Parquet file into the table, noting the
// rows it finds invalid in pp; w is its goroutine's scratch space.
type parquetJob func(w *wideScratch, pp *parquetProblems) error

// featureJobs returns the jobs that read the features: first those that
// touch the matrix's pages, then one per row group and group of wide
// columns; or one for the vector column.
func (pq *parquetFile) featureJobs(ctx context.Context, t *table, base, par int) ([]parquetJob, error) {
	n, dim := pq.rows, t.dim
	var jobs []parquetJob
	if len(pq.features) > 0 {
		groups, err := pq.rowGroups()
		if err != nil {
			return nil, err
		}
		if err := pq.checkChunks(groups); err != nil {
			return nil, err
		}
		// The first write to each page of the matrix is a page fault,
		// and every group of columns writes to every page of its rows:
		// goroutines scattering their first groups would fault the same
		// pages and wait for each other in the kernel. So the first jobs
		// touch the pages, each its own share, and the wide jobs decode
		// meanwhile but scatter only once all pages are touched. On
		// 100k × 584 that takes about 0.1 s of kernel time and 0.07 s off
		// the whole load.
		touched := make(chan struct{})
		var touching atomic.Int64
		touching.Store(int64(par))
		for p := range par {
			lo, hi := (base*dim)+n*dim*p/par, (base*dim)+n*dim*(p+1)/par
			jobs = append(jobs, func(*wideScratch, *parquetProblems) error {
				defer func() {
					if touching.Add(-1) == 0 {
						close(touched)
					}
				}()
				touchPages(t.x[lo:hi])
				return nil
			})
		}
		pq.touched = touched
		for _, rg := range groups {
			for g := 0; g < len(pq.features); g += parquetGroup {
				j0, j1 := g, min(g+parquetGroup, len(pq.features))
				jobs = append(jobs, func(w *wideScratch, pp *parquetProblems) error {
					return pq.readWide(ctx, t, base, rg, j0, j1, w, pp)
				})
			}
		}
	}
	if pq.vector >= 0 {
		jobs = append(jobs, func(_ *wideScratch, pp *parquetProblems) error {
			field := pq.vector
			return pq.scan(ctx, field, 1<<11, func(a arrow.Array, row0 int) {
				for i := 0; i < a.Len(); i++ {
					row := row0 + i
					if why := copyVector(a, i, t.x[(base+row)*dim:(base+row+1)*dim]); why != "" {
						pp.add(n, row, field, pq.names[field], why, pq.src.path)
					}
				}
				pq.gc.check()
			})
		})
	}
	return jobs, nil
}

// scalarJobs returns one job per scalar column: the label, ids, texts,
// groups and weights.
func (pq *parquetFile) scalarJobs(ctx context.Context, t *table, base int, lab *labeler) []parquetJob {
	n := pq.rows
	var jobs []parquetJob
	scalar := func(field int, fill func(a arrow.Array, i, row int, pp *parquetProblems)) {
		if field < 0 {
			return
		}
		jobs = append(jobs, func(_ *wideScratch, pp *parquetProblems) error {
			return pq.scan(ctx, field, 1<<16, func(a arrow.Array, row0 int) {
				for i := 0; i < a.Len(); i++ {
					if a.IsNull(i) {
						pp.add(n, row0+i, field, pq.names[field], "empty (null) value", pq.src.path)
						continue
					}
					fill(a, i, row0+i, pp)
				}
			})
		})
	}
	// The label's one job counts the values in its own tally, given to
	// the labeler when the job ends (scan reads the column in order).
	var tally labelTally
	scalar(pq.label, func(a arrow.Array, i, row int, pp *parquetProblems) {
		y, why := lab.class([]byte(cellText(a, i)), &tally, base+row, pq.src.path, int64(row+1))
		if why != "" {
			pp.add(n, row, pq.label, pq.names[pq.label], why, pq.src.path)
		}
		t.y[base+row] = y
	})
	if pq.label >= 0 {
		job := jobs[len(jobs)-1]
		jobs[len(jobs)-1] = func(w *wideScratch, pp *parquetProblems) error {
			defer lab.merge(&tally)
			return job(w, pp)
		}
	}
	scalar(pq.id, func(a arrow.Array, i, row int, _ *parquetProblems) { t.ids[base+row] = cellText(a, i) })
	scalar(pq.text, func(a arrow.Array, i, row int, _ *parquetProblems) { t.texts[base+row] = cellText(a, i) })
	scalar(pq.group, func(a arrow.Array, i, row int, _ *parquetProblems) { t.groups[base+row] = cellText(a, i) })
	scalar(pq.weight, func(a arrow.Array, i, row int, pp *parquetProblems) {
		w, why := parseWeight([]byte(cellText(a, i)))
		if why != "" {
			pp.add(n, row, pq.weight, pq.names[pq.weight], why, pq.src.path)
		}
		t.w[base+row] = w
	})
	return jobs
}

// runParquetJobs runs jobs in order on up to par goroutines, calling done
// after each, and returns each job's problems and the first job's error
// in job order. A panic in a job is its error. It stops starting jobs when
// ctx is cancelled.
func runParquetJobs(ctx context.Context, jobs []parquetJob, par int, done func()) ([]parquetProblems, error) {
	problems := make([]parquetProblems, len(jobs))
	jobErrs := make([]error, len(jobs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(par, len(jobs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var w wideScratch
			for {
				k := int(next.Add(1) - 1)
				if k >= len(jobs) || ctx.Err() != nil {
					return
				}
				func() {
					defer func() {
						if p := recover(); p != nil {
							jobErrs[k] = fmt.Errorf("%v", p)
						}
					}()
					jobErrs[k] = jobs[k](&w, &problems[k])
				}()
				done()
			}
		}()
	}
	wg.Wait()
	for _, e := range jobErrs {
		if e != nil {
			return nil, e
		}
	}
	return problems, nil
}

// merge marks the invalid rows the jobs found, and those whose features
// are not finite, and lists the first maxListed of them by row (then
// column).
func (pq *parquetFile) merge(t *table, base int, problems []parquetProblems) *rowErrors {
	n := pq.rows
	var listed []rowError
	for k := range problems {
		for row, b := range problems[k].bad {
			if b {
				t.status[base+row] = rowInvalid
			}
		}
		listed = append(listed, problems[k].listed...)
	}
	// Rows whose features are not finite. The wide reader flags every
	// value it decodes, so without a flag there is nothing to find.
	search := pq.vector >= 0
	for k := range problems {
		search = search || problems[k].nonFinite
	}
	var nonFinite parquetProblems
	for row := 0; row < n && search; row++ {
		if t.status[base+row] != rowOK {
			continue
		}
		if j := firstNonFinite(t.row(base + row)); j >= 0 {
			t.status[base+row] = rowInvalid
			nonFinite.add(n, row, -1, pq.featureName(j), fmt.Sprintf("%v is not a finite float32", t.row(base + row)[j]), pq.src.path)
		}
	}
	listed = append(listed, nonFinite.listed...)
	slices.SortStableFunc(listed, func(a, b rowError) int {
		if a.row != b.row {
			return int(a.row - b.row)
		}
		return 0
	})
	errs := &rowErrors{}
	last := int64(-1)
	for _, e := range listed {
		if e.row != last && len(errs.first) < maxListed {
			errs.first = append(errs.first, e)
		}
		last = e.row
	}
	for row := 0; row < n; row++ {
		if t.status[base+row] == rowInvalid {
			errs.count++
		}
	}
	return errs
}

func (pq *parquetFile) featureName(j int) string {
	if pq.vector >= 0 {
		return fmt.Sprintf("%s[%d]", pq.names[pq.vector], j)
	}
	return pq.names[pq.features[j]]
}

// scan reads a column in batches of up to batch rows and calls fn with
// each chunk and the row (0-based, in the file) of its first value.
//
// An error, or a panic inside the Parquet reader, is returned naming the
// column and the row the failed batch starts at (counted from 1).
func (pq *parquetFile) scan(ctx context.Context, field int, batch int64, fn func(a arrow.Array, row0 int)) (err error) {
	row := 0
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
		if err != nil && ctx.Err() == nil {
			err = fmt.Errorf("column %s, in the rows from %d on: %w", pq.names[field], row+1, err)
		}
	}()
	cr, err := pq.fr.GetColumn(ctx, field)
	if err != nil {
		return err
	}
	for row < pq.rows {
		if err := ctx.Err(); err != nil {
			return err
		}
		ch, err := cr.NextBatch(min(batch, int64(pq.rows-row)))
		if err != nil {
			return err
		}
		got := 0
		for _, a := range ch.Chunks() {
			fn(a, row+got)
			got += a.Len()
		}
		ch.Release()
		if got == 0 {
			return fmt.Errorf("it ended after %d of the %d rows the footer promises", row, pq.rows)
		}
		row += got
	}
	return nil
}

// rowGroup is one row group of a Parquet file: its index and the rows it
// holds, from row (0-based, in the file) on.
type rowGroup struct{ index, row, rows int }

// rowGroups lists the file's row groups, checking that they hold the rows
// the footer promises.
func (pq *parquetFile) rowGroups() ([]rowGroup, error) {
	md := pq.fr.ParquetReader().MetaData()
	var groups []rowGroup
	row := 0
	for i := 0; i < len(md.RowGroups); i++ {
		n := md.RowGroup(i).NumRows()
		if n < 0 || n > int64(pq.rows-row) {
			return nil, fmt.Errorf("row group %d holds %d rows, more than the %d the footer promises", i, n, pq.rows)
		}
		groups = append(groups, rowGroup{index: i, row: row, rows: int(n)})
		row += int(n)
	}
	if row != pq.rows {
		return nil, fmt.Errorf("the row groups hold %d rows, the footer promises %d", row, pq.rows)
	}
	return groups, nil
}

// checkChunks checks that the chunk of every wide feature column in every
// row group holds as many values as the group has rows, before the
// matrix's pages are touched: a damaged footer can promise any number of
// rows, and the matrix is as big as they are.
func (pq *parquetFile) checkChunks(groups []rowGroup) error {
	md := pq.fr.ParquetReader().MetaData()
	for _, rg := range groups {
		rgm := md.RowGroup(rg.index)
		for _, field := range pq.features {
			leaf := pq.fr.Manifest.Fields[field].ColIndex
			if leaf < 0 || leaf >= rgm.NumColumns() {
				return fmt.Errorf("column %s has no column chunk", pq.names[field])
			}
			cc, err := rgm.ColumnChunk(leaf)
			if err != nil {
				return fmt.Errorf("column %s, in the rows from %d on: %w", pq.names[field], rg.row+1, err)
			}
			if cc.NumValues() != int64(rg.rows) {
				return fmt.Errorf("column %s, in the rows from %d on: the column chunk holds %d values for %d rows", pq.names[field], rg.row+1, cc.NumValues(), rg.rows)
			}
		}
	}
	return nil
}

// wideScratch is what one goroutine reading wide features keeps from one
// job to the next: its chunk decoder and the decoded columns of a group.
type wideScratch struct {
	dec  *chunkDecoder
	cols []float32
}

// readWide reads wide features j0 to j1-1 of row group rg and scatters
// them into the matrix. It flags (in pp) a value that is not finite;
// read finds and reports it.
func (pq *parquetFile) readWide(ctx context.Context, t *table, base int, rg rowGroup, j0, j1 int, w *wideScratch, pp *parquetProblems) error {
	n := rg.rows
	if need := (j1 - j0) * n; cap(w.cols) < need {
		w.cols = make([]float32, need)
	}
	full := make([][]float32, j1-j0)
	for k := range full {
		full[k] = w.cols[k*n : (k+1)*n : (k+1)*n]
	}
	if err := pq.decodeWide(ctx, rg, j0, full, w, pp); err != nil {
		return err
	}
	pq.gc.check()
	select {
	case <-pq.touched:
	case <-ctx.Done():
		return ctx.Err()
	}
	scatter(t.x[(base+rg.row)*t.dim:(base+rg.row+n)*t.dim], t.dim, j0, full)
	return nil
}

// decodeWide decodes wide features j0, j0+1, ... of row group rg into
// cols, one slice of rg.rows values per feature, noting nulls in pp and
// flagging a value that is not finite.
func (pq *parquetFile) decodeWide(ctx context.Context, rg rowGroup, j0 int, cols [][]float32, w *wideScratch, pp *parquetProblems) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	md := pq.fr.ParquetReader().MetaData()
	if w.dec == nil {
		w.dec = newChunkDecoder(pq.f, pq.fileSize, md)
	}
	rgm := md.RowGroup(rg.index)
	for k, dst := range cols {
		if err := pq.decodeColumn(w.dec, rgm, rg, pq.features[j0+k], dst, pp); err != nil {
			return err
		}
		if dataset.FirstNonFinite(dst) >= 0 {
			pp.nonFinite = true
		}
	}
	return nil
}

// scatter copies columns j0, j0+1, ... of a row-major matrix x (dim
// values a row) from cols, one slice per column. Row by row, so that each
// row's values are written together (a cache line's worth for a group of
// parquetGroup); full groups go through an unrolled loop, which on
// 100k × 584 ran about 1.4 times as fast as the loop over columns in
// tiles of 256 rows it replaced.
func scatter(x []float32, dim, j0 int, cols [][]float32) {
	if len(cols) == 0 {
		return
	}
	n := len(cols[0])
	if len(cols) == 16 {
		c0, c1, c2, c3 := cols[0][:n], cols[1][:n], cols[2][:n], cols[3][:n]
		c4, c5, c6, c7 := cols[4][:n], cols[5][:n], cols[6][:n], cols[7][:n]
		c8, c9, c10, c11 := cols[8][:n], cols[9][:n], cols[10][:n], cols[11][:n]
		c12, c13, c14, c15 := cols[12][:n], cols[13][:n], cols[14][:n], cols[15][:n]
		for r := range n {
			d := (*[16]float32)(x[r*dim+j0:])
			d[0], d[1], d[2], d[3] = c0[r], c1[r], c2[r], c3[r]
			d[4], d[5], d[6], d[7] = c4[r], c5[r], c6[r], c7[r]
			d[8], d[9], d[10], d[11] = c8[r], c9[r], c10[r], c11[r]
			d[12], d[13], d[14], d[15] = c12[r], c13[r], c14[r], c15[r]
		}
		return
	}
	for r := range n {
		d := x[r*dim+j0 : r*dim+j0+len(cols)]
		for k := range d {
			d[k] = cols[k][r]
		}
	}
}

// touchPages writes a zero into every page of x (all zero already), so
// that the page faults of its first use happen here.
func touchPages(x []float32) {
	const stride = 4096 / 4
	for i := 0; i < len(x); i += stride {
		x[i] = 0
	}
}

// decodeColumn decodes the chunk of field in row group rg into dst. An
// error, or a panic inside the Parquet reader, is returned naming the
// column and the row group's first row (counted from 1).
func (pq *parquetFile) decodeColumn(dec *chunkDecoder, rgm *metadata.RowGroupMetaData, rg rowGroup, field int, dst []float32, pp *parquetProblems) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
		if err != nil {
			err = fmt.Errorf("column %s, in the rows from %d on: %w", pq.names[field], rg.row+1, err)
		}
	}()
	leaf := pq.fr.Manifest.Fields[field].ColIndex
	if leaf < 0 || leaf >= rgm.NumColumns() {
		return fmt.Errorf("the schema has no column chunk for it")
	}
	cc, err := rgm.ColumnChunk(leaf)
	if err != nil {
		return err
	}
	descr := pq.fr.ParquetReader().MetaData().Schema.Column(leaf)
	return dec.decode(cc, descr, dst, func(i int) {
		pp.add(pq.rows, rg.row+i, field, pq.names[field], "empty (null) value", pq.src.path)
	})
}

// copyVector copies list element i of a (list, large list or fixed-size
// list of float or double) into dst, or says why it cannot.
func copyVector(a arrow.Array, i int, dst []float32) string {
	if a.IsNull(i) {
		return "empty (null) embedding"
	}
	var values arrow.Array
	var lo, hi int64
	switch l := a.(type) {
	case *array.List:
		values = l.ListValues()
		lo, hi = l.ValueOffsets(i)
	case *array.LargeList:
		values = l.ListValues()
		lo, hi = l.ValueOffsets(i)
	case *array.FixedSizeList:
		values = l.ListValues()
		lo, hi = l.ValueOffsets(i)
	default:
		return fmt.Sprintf("%s is not a list", a.DataType())
	}
	if hi-lo != int64(len(dst)) {
		return fmt.Sprintf("the embedding has %d values, features.dim is %d", hi-lo, len(dst))
	}
	if lo < 0 || hi > int64(values.Len()) {
		return "the list's offsets are out of range"
	}
	if values.NullN() > 0 {
		for k := lo; k < hi; k++ {
			if values.IsNull(int(k)) {
				return fmt.Sprintf("element %d is null", k-lo)
			}
		}
	}
	switch v := values.(type) {
	case *array.Float32:
		copy(dst, v.Float32Values()[lo:hi])
	case *array.Float64:
		for k, f := range v.Float64Values()[lo:hi] {
			dst[k] = float32(f)
		}
	default:
		return fmt.Sprintf("elements are %s, want float or double", values.DataType())
	}
	return ""
}

// cellText is the text of a non-null scalar cell: strings as they are,
// integers in decimal, booleans as true/false, floats in the shortest
// form, dictionary cells as their value's text.
func cellText(a arrow.Array, i int) string {
	switch a := a.(type) {
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.Dictionary:
		return cellText(a.Dictionary(), a.GetValueIndex(i))
	}
	return a.ValueStr(i)
}
