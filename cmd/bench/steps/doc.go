// Command bench (steps-bench in make bench) times whole steps as a user
// runs them: `pipe apply -replace=STEP -target=STEP` of one step of a
// pipeline over the generated data (steps/shared/dataset/synth, seed 1,
// read from Parquet), for load, a grid search, train (l2), evaluate and
// predict. For each it reports the process's wall time, the step's own
// duration, the time of the kernel inside it (from the step's log line:
// load's Parquet read (streamed: with the dataset's writing and
// hashing, which run beside it), search's cross-validation, train's fit, evaluate's
// scoring and metrics, predict's scoring and writing) and the peak
// resident memory of the whole process (its rusage), the fastest of
// -runs runs, with that run's CPU time; -steps times some of them:
//
//	go run ./cmd/bench/steps -pipe bin/pipe -dir .bench -rows 100000
//	go run ./cmd/bench/steps -pipe bin/pipe -steps evaluate.e,predict.p
//
// It needs the pipe binary (-pipe) and writes the Parquet file it reads
// (DIR/synth-ROWS-DIM-wide.parquet, the file cmd/bench/load reads too)
// when missing; the pipeline and its store live in DIR/steps-ROWS-DIM,
// made afresh each run. sklearn_steps.py times scikit-learn doing the work
// of train, evaluate and predict on the same rows; cmd/bench/search's
// sklearn_search.py the grid search. cmd/bench/table puts them side by
// side.
//
// With -memory-limit (and -memory-rows), it instead trains on a dataset
// larger than the limit inside a memory cgroup of that size, and once
// without one, and reports both times and whether the models are the
// same: the dataset is read in place and pages in and out of the limit.
package main
