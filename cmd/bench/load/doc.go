// Command bench measures the load step against pandas on the same files,
// in the same run, and prints one table (or JSON with -json). The lead's
// `make bench` runs it:
//
//	go run ./cmd/bench/load -rows 100000
//
// It generates 100k×584 rows with steps/shared/dataset/synth into -dir (kept
// and reused between runs when -dir is given), writes them as wide CSV and
// Parquet (and, with -layouts all, the JSON-array CSV and list Parquet
// layouts), reads each file once so that it is in the page cache for
// both readers, then times, each in a fresh child process so that peak
// memory is its own:
//
//   - load: the whole load step (read, validate, write the dataset
//     artifact to a hashing writer) with the machine's parallelism;
//   - pandas.read_csv and pandas.read_parquet, run by pandas_bench.py
//     (embedded here) with /usr/bin/python3, when pandas is installed.
//     Debian has no pyarrow, so read_parquet reports "unavailable".
//
// For each it reports seconds, rows/s, MB/s of file read, and peak
// resident memory (VmHWM; ru_maxrss for Python) beside the size of the
// float32 feature matrix. Numbers depend on the machine and its load.
//
// This package belongs to steps/load and exists only for measuring it.
package main
