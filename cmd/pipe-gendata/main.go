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
	o, err := parseArgs(args, stderr)
	if err != nil {
		return err
	}
	g := synth.Generate(o.synth)
	paths, err := o.outputs()
	if err != nil {
		return err
	}
	for k, path := range paths {
		lo, hi := k*o.synth.N/len(paths), (k+1)*o.synth.N/len(paths)
		if err := write(path, o.format, part(g.Dataset, lo, hi), o.file); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "wrote %d rows (%d positive, dim %d) to %s\n", g.N, g.Positives(), g.Dim, strings.Join(paths, ", "))
	return nil
}

// options are what the flags ask for.
type options struct {
	synth  synth.Config
	file   synth.FileOptions
	format string // csv or parquet
	parts  int    // files to divide the rows into
	out    string // the file, or the folder when parts > 1
}

// parseArgs parses and checks the flags; -h prints the usage to stderr.
func parseArgs(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("pipe-gendata", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	o := &options{}
	fs.IntVar(&o.synth.N, "rows", 10000, "number of rows")
	fs.IntVar(&o.synth.Dim, "dim", 584, "embedding width")
	fs.IntVar(&o.synth.Rank, "rank", 8, "dimension of the subspace the classes differ in")
	fs.Uint64Var(&o.synth.Seed, "seed", 1, "random seed")
	fs.Float64Var(&o.synth.PositiveRate, "positive-rate", 0.3, "probability of class 1")
	fs.Float64Var(&o.synth.LabelNoise, "label-noise", 0.04, "probability that a label is flipped")
	fs.Float64Var(&o.synth.Duplicates, "duplicates", 0.05, "fraction of rows repeating an earlier row")
	fs.StringVar(&o.format, "format", "", `"csv" or "parquet" (default: from -out's extension)`)
	layout := fs.String("layout", "wide", `"wide" (emb_0, emb_1, ...) or "column" (one JSON-array or list column "embedding")`)
	labels := fs.String("labels", "string", `label values: "string" (private/public), "int" (1/0) or "bool" (true/false)`)
	fs.IntVar(&o.parts, "split-files", 1, "number of files to divide the rows into")
	fs.StringVar(&o.out, "out", "", "file to write, or folder with -split-files > 1")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q\nTry: pipe-gendata -h", fs.Arg(0))
	}
	if err := o.check(*layout, *labels); err != nil {
		return nil, err
	}
	return o, nil
}

// check refuses what cannot be written, and fills in the file options
// and the format.
func (o *options) check(layout, labels string) error {
	c := o.synth
	if o.out == "" {
		return fmt.Errorf("-out is required\nTry: pipe-gendata -rows 10000 -out data/corpus.parquet")
	}
	if c.N < 1 || c.Dim < 1 || c.Rank < 1 || c.Rank > c.Dim || o.parts < 1 || o.parts > c.N {
		return fmt.Errorf("need rows >= 1, 1 <= rank <= dim, 1 <= split-files <= rows")
	}
	switch layout {
	case "wide":
	case "column":
		o.file.Layout = synth.Column
	default:
		return fmt.Errorf("-layout must be wide or column, not %q", layout)
	}
	switch labels {
	case "string":
	case "int":
		o.file.Labels = synth.IntLabels
	case "bool":
		o.file.Labels = synth.BoolLabels
	default:
		return fmt.Errorf("-labels must be string, int or bool, not %q", labels)
	}
	ext := strings.ToLower(filepath.Ext(o.out))
	if o.format == "" {
		switch {
		case o.parts == 1 && ext == ".csv":
			o.format = "csv"
		case o.parts == 1 && (ext == ".parquet" || ext == ".pq"):
			o.format = "parquet"
		default:
			return fmt.Errorf("cannot tell the format from %q\nTry: -format csv or -format parquet", o.out)
		}
	}
	if o.format != "csv" && o.format != "parquet" {
		return fmt.Errorf("-format must be csv or parquet, not %q", o.format)
	}
	return nil
}

// outputs makes the folders the files go in and returns the files' paths.
func (o *options) outputs() ([]string, error) {
	if o.parts == 1 {
		if dir := filepath.Dir(o.out); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
		}
		return []string{o.out}, nil
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for k := 0; k < o.parts; k++ {
		paths = append(paths, filepath.Join(o.out, fmt.Sprintf("part-%04d.%s", k, o.format)))
	}
	return paths, nil
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
