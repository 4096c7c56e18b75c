package main

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"gocloud.dev/blob"

	"github.com/pipe-ml/pipe/cmd/bench/internal/rss"
	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/load"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

//go:embed pandas_bench.py
var pandasScript []byte

// result is one measurement, the JSON both this program and
// pandas_bench.py print.
type result struct {
	Reader       string  `json:"reader"`
	File         string  `json:"file"`
	FileBytes    int64   `json:"file_bytes"`
	Rows         int     `json:"rows"`
	Seconds      float64 `json:"seconds,omitempty"`
	RowsPerSec   float64 `json:"rows_per_sec,omitempty"`
	MBPerSec     float64 `json:"mb_per_sec,omitempty"`
	PeakRSS      int64   `json:"peak_rss_bytes,omitempty"`
	MatrixBytes  int64   `json:"matrix_bytes"`
	PeakOverData float64 `json:"peak_over_matrix,omitempty"`
	Error        string  `json:"error,omitempty"`
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	rows := fs.Int("rows", 100000, "rows to generate")
	dim := fs.Int("dim", 584, "embedding width")
	dir := fs.String("dir", "", "folder for the generated files (kept and reused); default a temporary folder")
	layouts := fs.String("layouts", "wide", `"wide", or "all" to add the JSON-array CSV and list Parquet layouts`)
	python := fs.String("python", "/usr/bin/python3", `Python with pandas for the comparison; "" to skip it`)
	asJSON := fs.Bool("json", false, "print JSON lines instead of a table")
	measure := fs.String("measure", "", "internal: measure one load of this file and print JSON")
	layout := fs.String("layout", "wide", "internal: the layout of -measure's file")
	cpuprofile := fs.String("cpuprofile", "", "with -measure: write a CPU profile here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *measure != "" {
		if *cpuprofile != "" {
			f, err := os.Create(*cpuprofile)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		return measureLoad(*measure, *layout, *dim, stdout)
	}

	folder := *dir
	if folder == "" {
		tmp, err := os.MkdirTemp("", "pipe-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		folder = tmp
	}
	files, err := generate(folder, *rows, *dim, *layouts == "all")
	if err != nil {
		return err
	}
	var script string
	if *python != "" {
		script = filepath.Join(folder, "pandas_bench.py")
		if err := os.WriteFile(script, pandasScript, 0o644); err != nil {
			return err
		}
	}
	var results []result
	for _, f := range files {
		r, err := measureFile(f, *rows, *dim, *python, script)
		if err != nil {
			return err
		}
		results = append(results, r...)
	}
	return printResults(stdout, results, *asJSON)
}

// measureFile reads f with the load step, in a child process of this
// command, and with pandas (wide files, when script is not ""): both
// find the file in the page cache.
func measureFile(f benchFile, rows, dim int, python, script string) ([]result, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(f.path)
	if err != nil {
		return nil, err
	}
	// Both readers find the file in the page cache, whatever ran
	// before: the first would otherwise pay for reading it from disk
	// (a file written by an earlier run may have been evicted since)
	// and warm it for the second.
	if err := warm(f.path); err != nil {
		return nil, err
	}
	matrix := int64(rows) * int64(dim) * 4
	var r result
	out, err := exec.Command(self, "-measure", f.path, "-layout", f.layout, "-dim", strconv.Itoa(dim)).Output()
	if err != nil {
		r = result{Reader: "load", File: f.path, Error: errText(err)}
	} else if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("child output %q: %w", out, err)
	}
	results := []result{finish(r, st.Size(), matrix)}
	if script == "" || f.layout != "wide" {
		return results, nil
	}
	kind := strings.TrimPrefix(filepath.Ext(f.path), ".")
	var p result
	out, err = exec.Command(python, script, kind, f.path).Output()
	if err != nil {
		p = result{Reader: "pandas.read_" + kind, File: f.path, Error: errText(err)}
	} else if err := json.Unmarshal(out, &p); err != nil {
		return nil, fmt.Errorf("pandas output %q: %w", out, err)
	}
	return append(results, finish(p, st.Size(), matrix)), nil
}

func errText(err error) string {
	if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
		return strings.TrimSpace(string(ee.Stderr))
	}
	return err.Error()
}

func finish(r result, size, matrix int64) result {
	r.FileBytes = size
	r.MatrixBytes = matrix
	if r.Seconds > 0 {
		r.RowsPerSec = float64(r.Rows) / r.Seconds
		r.MBPerSec = float64(size) / 1e6 / r.Seconds
	}
	if r.PeakRSS > 0 {
		r.PeakOverData = float64(r.PeakRSS) / float64(matrix)
	}
	return r
}

func printResults(w io.Writer, results []result, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, r := range results {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "reader\tfile\tMB\trows\tseconds\trows/s\tMB/s\tpeak RSS MB\tpeak/matrix\t")
	for _, r := range results {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t\t\t\t\t\t\t%s\n", r.Reader, filepath.Base(r.File), float64(r.FileBytes)/1e6, r.Error)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%d\t%.2f\t%.0f\t%.0f\t%.0f\t%.2f\t\n", r.Reader, filepath.Base(r.File),
			float64(r.FileBytes)/1e6, r.Rows, r.Seconds, r.RowsPerSec, r.MBPerSec, float64(r.PeakRSS)/1e6, r.PeakOverData)
	}
	fmt.Fprintf(tw, "matrix (float32 features): %.0f MB; GOMAXPROCS %d\t\n", float64(results[0].MatrixBytes)/1e6, runtime.GOMAXPROCS(0))
	return tw.Flush()
}

type benchFile struct{ path, layout string }

// generate writes the benchmark files into dir unless they are there.
// warm reads the file at path once, to bring it into the page cache.
func warm(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(io.Discard, f)
	return err
}

func generate(dir string, rows, dim int, all bool) ([]benchFile, error) {
	name := func(layout, ext string) string {
		return filepath.Join(dir, fmt.Sprintf("synth-%d-%d-%s.%s", rows, dim, layout, ext))
	}
	files := []benchFile{{name("wide", "csv"), "wide"}, {name("wide", "parquet"), "wide"}}
	if all {
		files = append(files, benchFile{name("column", "csv"), "column"}, benchFile{name("column", "parquet"), "column"})
	}
	var data *synth.Data
	for _, f := range files {
		if _, err := os.Stat(f.path); err == nil {
			continue
		}
		if data == nil {
			data = synth.Generate(synth.Config{N: rows, Dim: dim, Seed: 1})
		}
		o := synth.FileOptions{}
		if f.layout == "column" {
			o.Layout = synth.Column
		}
		tmp := filepath.Join(dir, ".tmp-"+filepath.Base(f.path))
		if err := synth.WriteFile(tmp, data.Dataset, o); err != nil {
			return nil, err
		}
		if err := os.Rename(tmp, f.path); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// measureLoad runs the load step once on file and prints a result.
func measureLoad(file, layout string, dim int, w io.Writer) error {
	features := map[string]cty.Value{"prefix": cty.StringVal(synth.DefaultPrefix), "dim": cty.NumberIntVal(int64(dim))}
	if layout == "column" {
		features = map[string]cty.Value{"column": cty.StringVal(synth.DefaultColumn), "dim": cty.NumberIntVal(int64(dim))}
	}
	cfg, err := configValue(map[string]cty.Value{
		"path":     cty.StringVal(file),
		"positive": cty.StringVal(synth.PositiveLabel),
		"features": cty.ObjectVal(features),
		"id":       cty.StringVal("id"),
		"text":     cty.StringVal("text"),
	})
	if err != nil {
		return err
	}
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(file)
	in := &steps.Inputs{Config: cfg, Files: []steps.File{{Path: filepath.Base(file), Abs: abs, Size: st.Size(),
		Digest: "sha256:" + strings.Repeat("0", 64)}}}
	start := time.Now()
	out, err := load.Kind{}.Run(context.Background(), discardEnv{}, in)
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	n, _ := out["rows"].AsBigFloat().Int64()
	return json.NewEncoder(w).Encode(result{Reader: "load", File: file, Rows: int(n), Seconds: secs, PeakRSS: rss.Peak()})
}

func configValue(attrs map[string]cty.Value) (cty.Value, error) {
	obj := map[string]cty.Value{}
	for _, a := range (load.Kind{}).Schema().Attributes {
		v, ok := attrs[a.Name]
		switch {
		case ok:
			cv, err := convert.Convert(v, a.Type)
			if err != nil {
				return cty.NilVal, fmt.Errorf("%s: %w", a.Name, err)
			}
			v = cv
		case a.Default != cty.NilVal:
			v = a.Default
		default:
			v = cty.NullVal(a.Type)
		}
		obj[a.Name] = v
	}
	return cty.ObjectVal(obj), nil
}

// discardEnv hashes artifacts and keeps nothing: the cost of writing the
// dataset is measured, not the store's.
type discardEnv struct{}

func (discardEnv) PutArtifact(_ context.Context, mediaType string, write func(w io.Writer) error) (steps.Artifact, error) {
	h := sha256.New()
	cw := &countWriter{w: h}
	if err := write(cw); err != nil {
		return steps.Artifact{}, err
	}
	return steps.Artifact{Digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), MediaType: mediaType, Size: cw.n}, nil
}

func (discardEnv) OpenArtifact(context.Context, steps.Artifact) (io.ReadCloser, error) {
	return nil, fmt.Errorf("bench: no store")
}

func (discardEnv) ReadArtifact(context.Context, steps.Artifact) ([]byte, error) {
	return nil, fmt.Errorf("bench: no store")
}

func (discardEnv) OpenBucket(context.Context, string) (*blob.Bucket, error) {
	return nil, fmt.Errorf("bench: no store")
}

func (discardEnv) Logger() *slog.Logger          { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
func (discardEnv) Warn(string, string)           {}
func (discardEnv) Progress(int64, int64, string) {}
func (discardEnv) Parallelism() int              { return runtime.GOMAXPROCS(0) }

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
