// Package logreg trains binary logistic regression: the numerical core
// that the train, search, evaluate and predict step kinds are built on.
// It minimises exactly scikit-learn 1.2.1's LogisticRegression objectives
// (see [Params]) and reaches objectives at least as low, faster. It knows
// nothing of steps, pipelines or files: steps/shared/dataset owns the on-store
// data format, steps/load reads CSV and Parquet, and the step kinds
// (steps/train, steps/search, ...) turn configuration into calls here.
//
// # Using it
//
// [Fit] takes a [Data] (a float32 feature matrix, 0/1 labels, optional
// sample weights, optionally a subset of its rows), [Params] (penalty, C,
// class weights, ... with scikit-learn's names and defaults, from
// [DefaultParams]) and optional [Settings] (parallelism, a warm start,
// progress), and returns a [Result]: coefficients, the objective reached,
// iterations, passes over the data, whether and why it stopped. A fit
// that does not converge within MaxIter is reported (Converged false,
// Status IterationLimit), not an error; bad data (one class, NaN or Inf,
// wrong lengths, no rows) is an error naming the row and feature.
//
// [NewModel] turns a result into a [Model], which predicts
// ([Model.Decision], [Model.PredictProba]) and encodes to deterministic
// JSON (media type [MediaType]).
//
// # Folds without copies
//
// A cross-validation fold is the same Data with its own Rows (a list of
// row indices, see [Data.Subset]): no feature is ever copied, and a fit on
// a fold reads only its rows. Class weights "balanced" count the classes
// in the fold, and standardisation uses the fold's mean and scale.
//
// # Solvers
//
// l2 and none: L-BFGS with a Moré-Thuente line search (gonum's
// optimize.MoreThuente) and scipy's stopping tests, the method of
// scikit-learn's lbfgs solver (with 10 correction pairs it follows
// scikit-learn's iterates to 10 digits), here with 30 pairs, a tenth of
// scipy's objective tolerance, and an initial inverse Hessian that scales
// the intercept apart from the small embedding coefficients: fewer
// passes, to a lower objective. With [Settings.Precondition] (the train
// step's fits) the initial inverse Hessian is instead that of a sample of
// a few thousand rows at the starting point, Cholesky-factored once: on
// embeddings a third of the passes. l1 and
// elasticnet: a proximal Newton method whose Hessian comes from a sample
// of a few thousand rows and whose inner problem is solved by an
// active-set method with Cholesky factorisations (gonum's lapack64); see
// solveNewton for why not OWL-QN or coordinate descent. It reaches saga's
// optimum in about 20 passes over the data, where saga takes about 24
// epochs of far costlier per-row updates.
//
// Every pass over the data is one fused sweep that computes margins, loss
// and gradient together, with float32 features, float64 arithmetic, and
// AVX2/FMA kernels on amd64 (kernel_amd64.s; portable Go elsewhere, with
// the same bits). Rows are split into chunks of fixed size summed in
// fixed order, so a result never depends on Parallelism: the same data
// and parameters give the same bits on 1 core or 64. Only the order of
// rows in X matters: it changes rounding, so the iterates, so where the
// fit stops within its tolerance (at tol 1e-10 the objectives agree to
// 1e-12); the order of Data.Rows does not matter at all. The exponential
// is our own (expNeg, specified to the bit); across CPU architectures
// math.Log and math.Log1p may differ in the last bit.
//
// A pass of one fit is bound by memory: bringing a row in costs more than
// its arithmetic. Fits that run at once on sets of the same matrix (the
// folds and candidates of a search) can share their passes through a
// [Batch]: one sweep reads each row once for every fit whose set holds
// it, and each fit's chunks are summed exactly as they would be alone, so
// sharing never changes a result. In a shared sweep the rows come from
// cache and the arithmetic is what costs, so there the kernels take four
// rows at a time (the gradient loaded and stored once for four rows) and
// two fits on the same rows together (each row converted once for both).
//
// X may be a read-only memory map of a dataset file (a step reads its
// data in place). If another process truncates that file, a pass faults:
// the goroutines of a pass guard against it (steps/shared/fault), and
// Fit, Decision and PredictProba return a *fault.Error instead of
// crashing the process; a Batch whose sweep faulted fails every fit in
// it, so that none waits for a sweep that will never come. A Batch also
// tells its caller which rows a sweep (OnRead) or a fit's sample of rows
// (OnSample) is done with, so that a caller can drop those pages of the
// map from the process's resident memory behind them (steps/search
// does).
//
// Memory: besides X, a fit allocates O(d) per 256-row chunk and O(n) for a
// subset's sorted rows: about 2 MB for 100k × 584. For l1 and elasticnet
// add the Hessian sample's active columns packed as float32 (at most
// m = max(4096, 8·(d+1)) rows × (d+1)), a (d+1)² Gram matrix and a
// Cholesky factor: about 20 MB for d = 584, whatever n is (9% of X at
// 100k rows). A preconditioned fit holds a (d+1)²/2 float64 factor
// (1.4 MB for d = 584) and, while it builds it, twice as much again (the
// Gram matrix's 8×8 tiles and a panel of 128 sample rows).
// Standardisation never copies X: the scaling is folded into the
// coefficients inside the pass.
package logreg
