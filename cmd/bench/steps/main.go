package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/pipe-ml/pipe/cmd/bench/internal/rss"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

// report is what the command prints.
type report struct {
	Impl        string                 `json:"impl"`
	Rows        int                    `json:"rows"`
	Dim         int                    `json:"dim"`
	MatrixBytes int64                  `json:"matrix_bytes"`
	File        string                 `json:"file"`
	FileBytes   int64                  `json:"file_bytes"`
	Steps       map[string]*stepReport `json:"steps"`
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	pipeBin := fs.String("pipe", "pipe", "the pipe binary to run")
	rows := fs.Int("rows", 100_000, "rows of generated data")
	dim := fs.Int("dim", 584, "embedding width")
	dir := fs.String("dir", ".bench", "folder for the data file and the pipeline")
	runs := fs.Int("runs", 3, "runs of each step; the fastest is reported")
	limit := fs.String("memory-limit", "", "train on a dataset larger than this memory cgroup limit instead (e.g. 1GiB)")
	memRows := fs.Int("memory-rows", 0, "with -memory-limit: rows of that dataset (default: twice the limit's worth)")
	only := fs.String("steps", strings.Join(benchSteps, ","), "comma-separated steps to time, of "+strings.Join(benchSteps, ", "))
	if err := fs.Parse(args); err != nil {
		return err
	}
	timed, err := chosenSteps(*only)
	if err != nil {
		return err
	}
	bin, err := exec.LookPath(*pipeBin)
	if err != nil {
		return fmt.Errorf("bench: no pipe binary: %w", err)
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return err
	}
	if *limit != "" {
		return runMemory(ctx, bin, *dir, *limit, *memRows, *dim, stdout)
	}
	parquet := parquetFile(*dir, *rows, *dim)
	if err := writeData(parquet, *rows, *dim); err != nil {
		return err
	}
	// A child's peak resident memory starts at this process's peak: Go
	// starts it with vfork (CLONE_VM), so this process's memory is the
	// child's until exec, and Linux carries that memory's high-water mark
	// into the child's. Give the data generation's memory back and reset
	// the mark, so that a child's peak is its own.
	freeMemory()
	st, err := os.Stat(parquet)
	if err != nil {
		return err
	}
	pdir, err := filepath.Abs(filepath.Join(*dir, fmt.Sprintf("steps-%d-%d", *rows, *dim)))
	if err != nil {
		return err
	}
	if err := newPipeline(pdir, parquet, *dim); err != nil {
		return err
	}
	// One apply of everything stores what the steps read.
	first := exec.CommandContext(ctx, bin, "apply", "-no-color")
	first.Dir = pdir
	if out, err := first.CombinedOutput(); err != nil {
		return fmt.Errorf("bench: the first apply: %v\n%s", err, lastLines(string(out), 8))
	}
	rep := &report{Impl: "pipe (" + runtime.Version() + ")", Rows: *rows, Dim: *dim, MatrixBytes: int64(*rows) * int64(*dim) * 4,
		File: parquet, FileBytes: st.Size(), Steps: map[string]*stepReport{}}
	for _, step := range timed {
		fmt.Fprintf(os.Stderr, "bench: pipe apply -replace=%s, %d runs\n", step, *runs)
		r, err := timeStep(ctx, bin, pdir, step, *runs)
		if err != nil {
			return err
		}
		rep.Steps[step] = r
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// chosenSteps are the steps of the comma-separated list, each one of
// benchSteps.
func chosenSteps(list string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(benchSteps, s) {
			return nil, fmt.Errorf("bench: -steps: no step %q; the steps are %s", s, strings.Join(benchSteps, ", "))
		}
		out = append(out, s)
	}
	return out, nil
}

// freeMemory returns this process's free memory to the system and resets
// its peak resident memory to what it holds now (see run).
func freeMemory() {
	debug.FreeOSMemory()
	rss.Reset()
}
