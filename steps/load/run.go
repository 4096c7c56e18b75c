package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/dataset"
	"github.com/pipe-ml/pipe/steps/shared/media"
)

// source is one input file: the path as the user and the cache key know
// it, and the path to open.
type source struct {
	path, abs string
	digest    string
	size      int64
}

// fileErrorf is a problem with a whole file: what is wrong, then how to
// fix it.
func fileErrorf(src *source, problem, fix string) error {
	return fmt.Errorf("load: %s: %s. %s", src.path, problem, fix)
}

// reader is an opened input file.
type reader interface {
	numRows() int
	read(ctx context.Context, t *table, base int, lab *labeler, par int, progress func(int64)) (*rowErrors, error)
	close() error
}

func (cf *csvFile) numRows() int     { return cf.rows }
func (cf *csvFile) close() error     { return cf.f.Close() }
func (pq *parquetFile) numRows() int { return pq.rows }
func (pq *parquetFile) close() error { return pq.f.Close() }

// Run reads in.Files into datasets. See the package documentation.
func (Kind) Run(ctx context.Context, env steps.Env, in *steps.Inputs) (steps.Outputs, error) {
	c, errs := parseConfig(in.Config, false)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	if len(in.Files) == 0 {
		return nil, steps.Errorf(steps.AttrPath("path"), "No input files", "path names no files to read.")
	}
	if streamable(c, in.Files) {
		out, err := streamParquet(ctx, env, c, in.Files)
		if !errors.Is(err, errNotStreamed) {
			return out, err
		}
	}
	return readWhole(ctx, env, c, in.Files)
}

// readWhole reads files into a table in memory, checks and drops its
// invalid rows, and stores the datasets: every file format and layout,
// and the rows streamParquet does not write.
func readWhole(ctx context.Context, env steps.Env, c *config, files []steps.File) (steps.Outputs, error) {
	t, all, err := readAll(ctx, env, c, files)
	if err != nil {
		return nil, err
	}

	skipped, err := checkInvalid(env, c, t, all)
	if err != nil {
		return nil, err
	}
	kept := t.compact()
	if kept == 0 {
		return nil, fmt.Errorf("load: no valid rows in %s", describeFiles(files))
	}
	positives := 0
	for _, y := range t.y {
		positives += int(y)
	}
	if positives == 0 || positives == kept {
		return nil, fmt.Errorf("load: all %d rows of %s are of class %d (%s): a classifier needs both classes. Check that positive = %s is the right label value and that the files hold both classes",
			kept, describeFiles(files), t.y[0], map[bool]string{true: "positive", false: "negative"}[positives != 0], c.positive)
	}
	out := steps.Outputs{
		"data": cty.NullVal(steps.ArtifactType), "train": cty.NullVal(steps.ArtifactType), "test": cty.NullVal(steps.ArtifactType),
		"rows": cty.NumberIntVal(int64(kept)), "positives": cty.NumberIntVal(int64(positives)),
		"dim": cty.NumberIntVal(int64(c.dim)), "skipped": cty.NumberIntVal(int64(skipped)),
		"train_rows": cty.NullVal(cty.Number), "test_rows": cty.NullVal(cty.Number),
	}
	if err := writeDatasets(ctx, env, c, t, files, kept, out); err != nil {
		return nil, err
	}
	return out, nil
}

// checkInvalid returns how many rows are invalid, or the error that stops
// the step: a broken CSV record, invalid rows without on_invalid =
// "skip", or more of them than max_invalid allows. Skipped rows are a
// warning.
func checkInvalid(env steps.Env, c *config, t *table, all *rowErrors) (skipped int, err error) {
	blank := 0
	for _, s := range t.status {
		if s == rowBlank {
			blank++
		}
	}
	rows := len(t.status) - blank
	if all.fatal != nil {
		return 0, fmt.Errorf("load: cannot read past a broken CSV record:%s\nFix the quoting: a field that holds the delimiter, a quote or a line break must be in double quotes, with its own quotes doubled (\"\")", all.list())
	}
	skipped = all.count
	if skipped == 0 {
		return 0, nil
	}
	if !c.skip {
		return 0, fmt.Errorf("load: %d invalid %s:%s\nFix the data, or set on_invalid = \"skip\" (and max_invalid) to drop such rows", skipped, plural(skipped, "row"), all.list())
	}
	if limit, ok := c.invalidBudget(rows); ok && skipped > limit {
		return 0, fmt.Errorf("load: %d of %d rows are invalid, more than max_invalid = %s allows (%d):%s\nFix the data, or raise max_invalid", skipped, rows, fmtNumber(c.maxInvalid), limit, all.list())
	}
	env.Warn(fmt.Sprintf("Skipped %d invalid %s of %d", skipped, plural(skipped, "row"), rows),
		"These rows were dropped because on_invalid = \"skip\":"+all.list())
	return skipped, nil
}

// writeDatasets stores the kept rows of t as one dataset, or split into
// train and test, and sets their outputs in out.
func writeDatasets(ctx context.Context, env steps.Env, c *config, t *table, files []steps.File, kept int, out steps.Outputs) error {
	meta := dataset.Meta{Positive: c.positive.s, Features: c.featureDesc(), Source: describeSources(files)}
	if c.split == nil {
		meta.Part = dataset.PartData
		a, err := put(ctx, env, t.slice(0, kept, meta))
		if err != nil {
			return err
		}
		out["data"] = a.Value()
		return nil
	}
	test := splitRows(t.y, t.groups, c.split)
	ntrain := t.partition(test)
	if ntrain == 0 || ntrain == kept {
		return steps.Errorf(steps.AttrPath("split", "test"), "Empty split",
			"Splitting %d rows with test = %g leaves the %s set empty; use more rows or another test fraction.",
			kept, c.split.test, map[bool]string{true: "training", false: "test"}[ntrain == 0])
	}
	meta.Part = dataset.PartTrain
	train, err := put(ctx, env, t.slice(0, ntrain, meta))
	if err != nil {
		return err
	}
	meta.Part = dataset.PartTest
	testA, err := put(ctx, env, t.slice(ntrain, kept, meta))
	if err != nil {
		return err
	}
	out["train"], out["test"] = train.Value(), testA.Value()
	out["train_rows"], out["test_rows"] = cty.NumberIntVal(int64(ntrain)), cty.NumberIntVal(int64(kept-ntrain))
	return nil
}

// readAll opens every file (checking headers and schemas before reading
// any data), then reads them into one table in order.
func readAll(ctx context.Context, env steps.Env, c *config, files []steps.File) (*table, *rowErrors, error) {
	var readers []reader
	defer func() {
		for _, r := range readers {
			r.close()
		}
	}()
	var total, totalBytes int64
	for _, f := range files {
		src := &source{path: f.Path, abs: f.Abs, digest: f.Digest, size: f.Size}
		var r reader
		var err error
		switch fileFormat(f.Path, c.format) {
		case "csv":
			r, err = openCSV(src, c, max(1, env.Parallelism()))
		case "parquet":
			r, err = openParquet(src, c)
		default:
			err = fmt.Errorf("load: %s: unknown format; name .csv or .parquet files, or set format", f.Path)
		}
		if err != nil {
			return nil, nil, err
		}
		readers = append(readers, r)
		total += int64(r.numRows())
		totalBytes += f.Size
	}
	if total*int64(c.dim) > math.MaxInt/8 {
		return nil, nil, fmt.Errorf("load: %d rows × %d features is too large", total, c.dim)
	}
	t := newTable(c, int(total))
	lab := &labeler{positive: c.positive, negative: c.negative}
	all := &rowErrors{}
	var done atomic.Int64
	base, start := 0, time.Now()
	defer func() {
		env.Logger().Info("read", "rows", base, "bytes", totalBytes, "seconds", time.Since(start).Seconds())
	}()
	for i, r := range readers {
		note := "reading " + files[i].Path
		progress := func(n int64) { env.Progress(done.Add(n), totalBytes, note) }
		errs, err := r.read(ctx, t, base, lab, max(1, env.Parallelism()), progress)
		if err != nil {
			return nil, nil, err
		}
		all.merge(errs)
		base += r.numRows()
	}
	positives := 0
	for _, y := range t.y {
		positives += int(y)
	}
	if err := lab.thirdClass(c.label, positives); err != nil {
		return nil, nil, err
	}
	return t, all, nil
}

// invalidBudget resolves max_invalid against the number of data rows;
// ok is false when there is no limit.
func (c *config) invalidBudget(rows int) (int, bool) {
	switch {
	case c.maxInvalid < 0:
		return 0, false
	case c.maxInvalid >= 1:
		return int(c.maxInvalid), true
	}
	return int(math.Floor(c.maxInvalid * float64(rows))), true
}

// slice returns rows [lo, hi) of a compacted table as a dataset,
// aliasing the table's memory.
func (t *table) slice(lo, hi int, meta dataset.Meta) *dataset.Dataset {
	d := &dataset.Dataset{N: hi - lo, Dim: t.dim, X: t.x[lo*t.dim : hi*t.dim], Y: t.y[lo:hi], Meta: meta}
	if t.w != nil {
		d.W = t.w[lo:hi]
	}
	if t.ids != nil {
		d.IDs = t.ids[lo:hi]
	}
	if t.texts != nil {
		d.Texts = t.texts[lo:hi]
	}
	return d
}

func put(ctx context.Context, env steps.Env, d *dataset.Dataset) (steps.Artifact, error) {
	start := time.Now()
	a, err := env.PutArtifact(ctx, media.Dataset.Type, func(w io.Writer) error { return dataset.Write(w, d) })
	env.Logger().Info("stored", "part", d.Meta.Part, "bytes", a.Size, "seconds", time.Since(start).Seconds())
	if err != nil {
		return steps.Artifact{}, fmt.Errorf("load: storing the %s dataset: %w", d.Meta.Part, err)
	}
	return a, nil
}

func describeSources(files []steps.File) string {
	var b strings.Builder
	for _, f := range files {
		fmt.Fprintf(&b, "%s %s\n", f.Path, f.Digest)
	}
	return b.String()
}

func describeFiles(files []steps.File) string {
	if len(files) == 1 {
		return files[0].Path
	}
	return fmt.Sprintf("%d files (%s, ...)", len(files), files[0].Path)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func fmtNumber(f float64) string {
	return cty.NumberFloatVal(f).AsBigFloat().Text('g', -1)
}
