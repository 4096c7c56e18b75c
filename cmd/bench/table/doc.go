// Command benchtable is `make bench`: it measures pipe beside
// scikit-learn and pandas on the same generated data in the same run and
// prints one table, with the goals of the tracker's issues 4 (load), 5
// (search and train) and 17 (whole steps) and whether each was met.
//
//	go run ./cmd/bench/table                  # 100k × 584, tens of minutes
//	go run ./cmd/bench/table -rows 20000      # a quick run
//	go run ./cmd/bench/table -only grid       # the grid search alone, both sides
//	go run ./cmd/bench/table -from .bench/results-100000-584 -markdown
//	go run ./cmd/bench/table -write docs/benchmarks.md   # make bench
//
// It owns no measurement: it builds and runs the benchmark commands that
// the step packages own, in sequence, one at a time, and parses the JSON
// each prints:
//
//   - cmd/bench/train writes the synthetic data set (steps/shared/dataset/synth,
//     seed 1) as an .npz file and times the l2 and l1 fits;
//     cmd/bench/train/sklearn_bench.py --no-search fits scikit-learn's
//     LogisticRegression (lbfgs, saga) on that file;
//   - cmd/bench/search runs the grid (8 trials × 5 folds) and random
//     (16 × 5) searches and writes their folds and trials to a plan;
//     cmd/bench/search/sklearn_search.py runs scikit-learn on the same
//     rows, folds and trials, so that the best scores compare like for like;
//   - cmd/bench/load reads the same rows as CSV and Parquet with the load
//     step and with pandas.read_csv and pandas.read_parquet;
//   - cmd/bench/steps times `pipe apply` of one step at a time (load,
//     a grid search, train, evaluate, predict) on the same rows from
//     Parquet, with the kernel inside each step and the process's peak
//     memory; cmd/bench/steps/sklearn_steps.py times scikit-learn's fit,
//     scoring and writing on the same rows;
//   - and this command reads the Parquet file once with O_DIRECT, past the
//     page cache, as the disk's speed that issues 4 and 17 compare the
//     Parquet load with.
//
// The Python side runs with -python (Debian's /usr/bin/python3) only where
// the modules it needs import. It installs nothing: when scikit-learn,
// pandas or pyarrow is missing it says how to get them (Debian has no
// pyarrow, so pandas.read_parquet is skipped there) and still measures
// pipe's side.
//
// Each command's output is kept under -results (one file per command,
// NAME.json, or NAME.error when it failed, beside run.json with the
// machine), and -from renders the table again from such a folder without
// measuring anything. -write PAGE also puts the table, in Markdown, into
// a page between a line starting "<!-- BEGIN bench" and the line
// "<!-- END bench -->", keeping the hand-written text around them (make
// bench writes docs/benchmarks.md); a run in which a command failed, or a
// page without its markers, leaves the page as it was. A page may hold a
// table for a run of some cases, whose begin marker says so ("<!-- BEGIN
// bench only=steps"): a run of exactly those cases goes there, any other
// run into the table whose marker names none. The exit status is
// 1 when a command failed, 0 otherwise, whether or not the goals were met:
// the table says which were.
//
// Timings are wall-clock seconds on whatever machine runs this; on a shared
// machine they are noisy, and the table's footer records the machine and its
// load average. The Go benchmarks of the step packages (`go test -bench`)
// are separate and unaffected.
package main
