// Command bench is steps/search's half of the side-by-side with
// scikit-learn. It makes the synthetic 100k × 584 embedding data set of
// cmd/bench/train (steps/shared/dataset/synth, seed 1: the same rows the
// .npz file written by that command holds), splits it into stratified
// folds, draws the random search's trials, writes both to a plan file
// for sklearn_search.py, then runs the two searches with steps/search
// and prints the timings as JSON, in the shape the Python script prints:
//
//	go run ./cmd/bench/train -data /tmp/bench.npz -write-only
//	go run ./cmd/bench/search -plan /tmp/search-plan.json
//	/usr/bin/python3 cmd/bench/search/sklearn_search.py /tmp/bench.npz /tmp/search-plan.json
//
// The searches: "grid" is C ∈ {0.01, 0.1, 1, 10} × class_weight ∈
// {none, balanced} (8 trials, l2); "random" is 16 trials of C =
// loguniform(1e-3, 1e2), penalty ∈ {l2, l1}, class_weight ∈ {none,
// balanced}; both 5-fold, scored by F1. The Python script runs
// scikit-learn on the same folds and the same 16 draws, so that the best
// scores compare like for like.
//
// Flags: -n and -d set the shape, -seed the data, -cv-seed the folds and
// draws, -plan where to write the plan, -plan-only stops after writing
// it, -only runs one search, -parallelism sets the goroutines (0: all
// cores), -cpuprofile writes a CPU profile of the first search. Timings on a shared 2-core machine are noisy: the JSON has
// wall and CPU seconds.
package main
