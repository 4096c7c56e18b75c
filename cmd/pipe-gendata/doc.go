// Command pipe-gendata writes realistic synthetic embedding data for
// demos, examples and benchmarks: labelled, unit-norm 584-wide vectors
// in two classes that differ in a low-rank subspace, with ids, short texts
// (some duplicated) and label noise, as CSV or Parquet in either layout a
// load step reads. The data model is steps/shared/dataset/synth's; this command
// only parses flags and writes files.
//
//	pipe-gendata -rows 100000 -out data/corpus.parquet
//	pipe-gendata -rows 100000 -format csv -layout column -split-files 4 -out data/
//
// The same flags always write the same bytes.
package main
