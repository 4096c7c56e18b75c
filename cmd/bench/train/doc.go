// Command bench is steps/shared/logreg's half of the side-by-side with
// scikit-learn. It makes the synthetic 100k × 584 embedding data set
// (steps/shared/dataset/synth's defaults),
// writes it as an .npz file for bench/sklearn_bench.py, fits l2 and l1
// models on it with steps/shared/logreg (with the settings the train step
// uses: l2 preconditioned, logreg.Settings.Precondition) and prints the timings as JSON, in the
// shape the Python script prints:
//
//	go run ./cmd/bench/train -data /tmp/logreg-bench.npz
//	/usr/bin/python3 cmd/bench/train/sklearn_bench.py /tmp/logreg-bench.npz
//
// Flags: -n and -d set the shape, -seed the data, -write-only stops after
// writing the file, -repeat fits each model that many times and reports
// the fastest, -parallelism sets the goroutines per pass (0: all cores).
// Timings on a shared 2-core machine are noisy; repeat and compare
// user+system time from /usr/bin/time -v where it matters.
package main
