// Package shared holds nothing itself: its sub-packages are what the step
// kinds share, and none of them is a kind or knows the engine.
//
//	dataset   the on-store format of a dataset artifact (Arrow IPC)
//	logreg    the logistic regression trainer, its model and objective
//	lrconfig  the params object of train, search and a search's best
//	metrics   scores of a binary classifier, the report and its plot
//	scoring   a model and a dataset read together, rows scored
//	npz       NumPy .npz files, for reference data and benchmarks
//
// The kinds themselves are the packages directly under steps/.
package shared
