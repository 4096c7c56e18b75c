package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

// knownCases are what -only may name, in the order a run measures them;
// "search" is both grid and random.
var knownCases = []string{"train", "search", "grid", "random", "load", "steps"}

const usage = `Usage: benchtable [flags]

Measures pipe beside scikit-learn and pandas on the same generated data
and prints one table with the goals of issues 4, 5 and 17. Run it from
the repository (make bench does). It installs nothing.

Examples:
  benchtable                          the issues' 100000 × 584 (tens of minutes)
  benchtable -rows 20000              a quicker run
  benchtable -only train,load         skip the searches
  benchtable -only grid               the grid search alone, both sides
  benchtable -only steps              pipe apply of one step at a time, beside
                                      scikit-learn's time for the same work
  benchtable -from .bench/results-100000-584 -markdown
                                      the last full run's table again, in Markdown
  benchtable -write docs/benchmarks.md
                                      measure, then put the table into the page
                                      between its bench markers (make bench does)

Flags:
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("benchtable", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	rows := fs.Int("rows", 100_000, "rows of generated data")
	dim := fs.Int("dim", 584, "embedding width")
	dir := fs.String("dir", ".bench", "folder for the data files, the built commands and the results")
	resultsDir := fs.String("results", "", "folder for the commands' output (default DIR/results-ROWS-DIM)")
	only := fs.String("only", "train,search,load,steps", "comma-separated cases to measure: train, search (grid and random), grid, random, load, steps (pipe apply of one step at a time)")
	python := fs.String("python", "/usr/bin/python3", `Python with scikit-learn and pandas (Debian's); "" to measure only pipe`)
	goCmd := fs.String("go", "go", "the go command that builds the benchmark commands")
	from := fs.String("from", "", "print the table of this results folder and measure nothing")
	markdown := fs.Bool("markdown", false, "print the table in Markdown")
	page := fs.String("write", "", "also write the table, in Markdown, into this page between its bench markers (only when no command failed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("benchtable: unexpected argument %q; see -h", fs.Arg(0))
	}
	write := writeText
	if *markdown {
		write = writeMarkdown
	}
	if *from != "" {
		res, err := readResults(*from)
		if err != nil {
			return err
		}
		if err := write(stdout, buildTable(res)); err != nil {
			return err
		}
		return publish(*page, res, stderr)
	}

	if *rows < 10 || *dim < 1 {
		return fmt.Errorf("benchtable: -rows %d -dim %d: want at least 10 rows (5 folds of both classes) and 1 column", *rows, *dim)
	}
	cases, err := parseCases(*only)
	if err != nil {
		return err
	}
	if err := checkPage(*page, cases); err != nil {
		return err // before tens of minutes of measuring, not after
	}
	if *resultsDir == "" {
		*resultsDir = filepath.Join(*dir, fmt.Sprintf("results-%d-%d", *rows, *dim))
	}
	m := &measurement{
		goCmd: *goCmd, python: *python, dir: *dir, results: *resultsDir,
		rows: *rows, dim: *dim, cases: cases, log: stderr,
	}
	if err := m.measure(ctx); err != nil {
		return err
	}
	res, err := readResults(m.results)
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr)
	if err := write(stdout, buildTable(res)); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "\nThe commands' output is in %s; `go run ./cmd/bench/table -from %s -markdown` prints this table again.\n",
		m.results, m.results)
	if err := publish(*page, res, stderr); err != nil {
		return err
	}
	if n := len(res.Failed); n > 0 {
		return fmt.Errorf("benchtable: %d of the benchmark commands failed; the table's notes say which and why", n)
	}
	return nil
}

// parseCases expands -only into the cases to measure, in the order given,
// each once.
func parseCases(only string) ([]string, error) {
	var cases []string
	for _, c := range strings.Split(only, ",") {
		c = strings.TrimSpace(c)
		if !slices.Contains(knownCases, c) {
			return nil, fmt.Errorf("benchtable: -only: unknown case %q; use %s", c, strings.Join(knownCases, ", "))
		}
		expanded := []string{c}
		if c == "search" {
			expanded = []string{"grid", "random"}
		}
		for _, c := range expanded {
			if !slices.Contains(cases, c) {
				cases = append(cases, c)
			}
		}
	}
	return cases, nil
}

// publish writes the table of res into the Markdown page (-write), unless
// page is empty or a benchmark command failed: a page keeps its last
// complete table rather than get one with holes.
func publish(page string, res *Results, stderr io.Writer) error {
	if page == "" {
		return nil
	}
	if n := len(res.Failed); n > 0 {
		return fmt.Errorf("benchtable: -write: %s is left as it was: %d of the benchmark commands failed, and the table's notes say which and why", page, n)
	}
	if err := writePage(page, res.Run.Cases, buildTable(res)); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "The table is in %s: review it with git diff before committing.\n", page)
	return nil
}
