package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pipe-ml/pipe/steps/shared/dataset"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

const usage = `Usage: pipe-gendata [flags] -out PATH

Writes synthetic labelled embeddings (see steps/shared/dataset/synth) as CSV or
Parquet. With -split-files N > 1, PATH is a folder that receives
part-0000.EXT ... part-(N-1).EXT, the rows divided in order.

Examples:
  pipe-gendata -rows 100000 -out data/corpus.parquet
  pipe-gendata -rows 20000 -format csv -layout column -out data/corpus.csv
  pipe-gendata -rows 100000 -split-files 4 -format parquet -out data/

Flags:
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "Error:", err)
		}
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pipe-gendata", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	rows := fs.Int("rows", 10000, "number of rows")
	dim := fs.Int("dim", 584, "embedding width")
	rank := fs.Int("rank", 8, "dimension of the subspace the classes differ in")
	seed := fs.Uint64("seed", 1, "random seed")
	positive := fs.Float64("positive-rate", 0.3, "probability of class 1")
	noise := fs.Float64("label-noise", 0.04, "probability that a label is flipped")
	dups := fs.Float64("duplicates", 0.05, "fraction of rows repeating an earlier row")
	format := fs.String("format", "", `"csv" or "parquet" (default: from -out's extension)`)
	layout := fs.String("layout", "wide", `"wide" (emb_0, emb_1, ...) or "column" (one JSON-array or list column "embedding")`)
	labels := fs.String("labels", "string", `label values: "string" (private/public), "int" (1/0) or "bool" (true/false)`)
	parts := fs.Int("split-files", 1, "number of files to divide the rows into")
	out := fs.String("out", "", "file to write, or folder with -split-files > 1")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q\nTry: pipe-gendata -h", fs.Arg(0))
	}
	if *out == "" {
		return fmt.Errorf("-out is required\nTry: pipe-gendata -rows 10000 -out data/corpus.parquet")
	}
	if *rows < 1 || *dim < 1 || *rank < 1 || *rank > *dim || *parts < 1 || *parts > *rows {
		return fmt.Errorf("need rows >= 1, 1 <= rank <= dim, 1 <= split-files <= rows")
	}
	opts := synth.FileOptions{}
	switch *layout {
	case "wide":
	case "column":
		opts.Layout = synth.Column
	default:
		return fmt.Errorf("-layout must be wide or column, not %q", *layout)
	}
	switch *labels {
	case "string":
	case "int":
		opts.Labels = synth.IntLabels
	case "bool":
		opts.Labels = synth.BoolLabels
	default:
		return fmt.Errorf("-labels must be string, int or bool, not %q", *labels)
	}
	ext := strings.ToLower(filepath.Ext(*out))
	if *format == "" {
		switch {
		case *parts == 1 && ext == ".csv":
			*format = "csv"
		case *parts == 1 && (ext == ".parquet" || ext == ".pq"):
			*format = "parquet"
		default:
			return fmt.Errorf("cannot tell the format from %q\nTry: -format csv or -format parquet", *out)
		}
	}
	if *format != "csv" && *format != "parquet" {
		return fmt.Errorf("-format must be csv or parquet, not %q", *format)
	}

	g := synth.Generate(synth.Config{N: *rows, Dim: *dim, Rank: *rank, PositiveRate: *positive,
		LabelNoise: *noise, Duplicates: *dups, Seed: *seed})
	paths := []string{*out}
	if *parts > 1 {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
		paths = paths[:0]
		for k := 0; k < *parts; k++ {
			paths = append(paths, filepath.Join(*out, fmt.Sprintf("part-%04d.%s", k, *format)))
		}
	} else if dir := filepath.Dir(*out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	for k, path := range paths {
		lo, hi := k**rows/len(paths), (k+1)**rows/len(paths)
		if err := write(path, *format, part(g.Dataset, lo, hi), opts); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "wrote %d rows (%d positive, dim %d) to %s\n", g.N, g.Positives(), g.Dim, strings.Join(paths, ", "))
	return nil
}

func write(path, format string, d *dataset.Dataset, o synth.FileOptions) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if format == "csv" {
		err = synth.WriteCSV(f, d, o)
	} else {
		err = synth.WriteParquet(f, d, o)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func part(d *dataset.Dataset, lo, hi int) *dataset.Dataset {
	return &dataset.Dataset{N: hi - lo, Dim: d.Dim, X: d.X[lo*d.Dim : hi*d.Dim], Y: d.Y[lo:hi],
		IDs: d.IDs[lo:hi], Texts: d.Texts[lo:hi]}
}
