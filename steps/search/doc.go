// Package search is the search step kind: it tunes logistic regression
// hyperparameters by grid or random search, scoring each trial by
// stratified k-fold cross-validation, and outputs the best parameters in
// the form a train step takes.
//
//	search "lr" {
//	  data     = load.corpus.train
//	  strategy = "random"                      # or "grid" (the default)
//	  trials   = 24                            # random only; default 10
//	  folds    = 5                             # default 5
//	  metric   = "f1"                          # f1, accuracy, roc_auc, log_loss, pr_auc
//	  seed     = 7                             # folds and draws; default 0
//	  space = {
//	    C            = loguniform(1e-3, 1e2)
//	    penalty      = ["l2", "l1"]
//	    class_weight = ["none", "balanced"]
//	  }
//	}
//
//	train "model" {
//	  data   = load.corpus.train
//	  params = search.lr.best
//	}
//
// It owns the space, the folds, the schedule of fits and the trials
// table. steps/shared/logreg fits the models, steps/shared/lrconfig spells and checks
// the parameters (their names, values and defaults are lrconfig's, so a
// space key is exactly a params key), steps/shared/metrics computes the scores,
// and steps/shared/dataset reads the data. The engine's language defines
// uniform and loguniform; this package recognises their value's shape
// (see distribution) and imports nothing of the engine.
//
// # The space
//
// space is an object of parameters. Each value is a list of candidates,
// one value (the same in every trial), or, for a random search only, a
// distribution: uniform(low, high) or loguniform(low, high), allowed for
// C, l1_ratio and tol. A list of such objects is a union of sub-grids:
//
//	space = [
//	  { penalty = ["l2", "l1"], C = [0.1, 1, 10] },
//	  { penalty = "elasticnet", l1_ratio = [0.2, 0.8], C = [0.1, 1] },
//	]
//
// A grid search runs every combination, sub-grid by sub-grid, with the
// keys in sorted order and the last varying fastest (scikit-learn's
// ParameterGrid order). l1_ratio multiplies only the elasticnet
// combinations, since other penalties ignore it; it is an error in a
// sub-grid that never tries elasticnet, and elasticnet without it is an
// error too. A random search draws trials from a PCG source seeded by
// seed: a sub-grid uniformly, then each distribution and a uniformly
// chosen element of each list. When the space has no distribution, it
// draws without replacement from the union of the grids (as
// scikit-learn's ParameterSampler does), and runs each combination once,
// with a warning, when trials asks for more. Empty spaces, lists and
// objects, unknown keys, invalid values, distributions in a grid or out
// of a parameter's range, and trials with a grid are errors at plan time
// that point at the attribute or element (space.C[2], space[1].l1_ratio).
//
// # Cross-validation
//
// [StratifiedKFold] shuffles the rows of each class with a PCG source
// seeded by seed and deals them to the folds in turn, so each fold holds
// out ⌊nᶜ/k⌋ or ⌈nᶜ/k⌉ of the nᶜ rows of each class c. Like
// scikit-learn's StratifiedKFold(shuffle=True) in its guarantees, not in
// which rows land where. A class with fewer rows than folds is an error
// at folds when the step runs (the data is not known at plan time), and
// data of one class an error at data.
//
// Each trial is fitted on every fold's training rows and scored on its
// held-out rows; the trial's score is the mean over the folds, and the
// best trial the one with the highest mean (the lowest for log_loss),
// the earliest among equals, as scikit-learn's GridSearchCV chooses.
// Scores follow scikit-learn's scorers: f1 and accuracy score the
// predicted class (margin > 0), roc_auc and pr_auc rank by the margin,
// log_loss scores the probability. Sample weights, when the dataset has
// them, weigh the fits and the scores alike (scikit-learn's search
// scores ignore them).
//
// [CrossValidate] does the work without copying a feature: the folds are
// views of the data (logreg.Data.Rows). On each fold, trials that differ
// only in C are fitted in increasing order of C, each warm-started from
// the one before, which saves passes over the data and does not change
// the answer beyond the fits' tolerance. The paths of all folds run at
// once, as far as memory allows, and their fits share each pass over the
// matrix (logreg.Batch): a search reads the data once per step of its
// fits, not once per fit and step. Every fit, and so every output, is the same whatever the
// parallelism, and the same inputs always give the same trials artifact,
// byte for byte. The step reads the dataset in place (a memory map) and
// drops its pages behind each pass, each fit's sample of rows and each
// scoring (steps.PageDropper; pages.go), so that the process does not
// hold the whole matrix while most of it waits for the next pass: a page
// read again maps back in from the page cache. It opens the dataset
// unscanned (dataset.OpenUnscanned): a NaN or ±Inf feature fails the
// first pass of the first fit of some fold, as every row trains all
// folds but one, and only then is the matrix searched for it, to name
// its row and feature as reading it would have.
//
// # Shards
//
// A search is a [steps.Sharder]: its tasks (a fold and a path of
// candidates that differ only in C) split into shards by a function of
// the configuration alone, longest tasks first, each to the shard with
// the least work so far. [Kind.RunShard] fits one shard's tasks and
// stores their fits as a partial result (media type PartialMediaType);
// [Kind.Assemble] gathers every shard's fits into the trials table. A fit
// is the same whichever fits share its passes, so the table is the same
// bytes as Run's for any number of shards, run in one process or on
// many machines. Every shard reads the whole dataset.
//
// # Outputs
//
// best is the best trial's parameters as lrconfig.ToValue writes them
// (every key, canonical), best_score and best_std the mean and standard
// deviation of its fold scores, n_trials the number of trials, and
// trials an artifact of media type media.Trials holding
// [TrialsFile]: one row per trial with its parameters, fold scores, mean,
// standard deviation, rank, and per fold the fit's objective,
// iterations, passes over the data, convergence and warm start. The
// artifact holds no timings, on purpose: wall-clock times would make
// the bytes differ from run to run and defeat the cache. The step logs
// them instead (per trial at debug level, in total at info level, as
// duration_seconds). Fits that stop at max_iter are counted in a warning.
// For people, the kind summarises the table (steps.Summarizer,
// summary.go): the trials with the parameters that vary, and a chart of
// the score against C on a log scale, a line for each combination of the
// other parameters, each point spanning its folds, the best one marked.
package search
