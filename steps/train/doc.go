// Package train is the train step kind: it fits binary logistic
// regression (steps/shared/logreg) to a dataset artifact and stores the model.
//
//	train "model" {
//	  data   = load.corpus.train            # a dataset artifact
//	  params = search.lr.best               # or { C = 0.1, penalty = "l1", ... }; default scikit-learn's
//	  seed   = 7                            # optional; see below
//	}
//
// params is decoded by steps/shared/lrconfig (its documentation lists the keys,
// their defaults and the class_weight forms); any subset may be given.
// parallelism (optional, not part of the cache key) bounds the goroutines
// of a pass over the data; the model is the same bits for any value. An
// l2 or unpenalised fit is preconditioned with the Hessian of a sample
// of the rows (logreg.Settings.Precondition): on embeddings it takes a
// third of the passes over the data of plain L-BFGS.
//
// Outputs:
//
//	model       the model artifact (logreg.Model JSON, media.Model):
//	            coefficients and intercept for raw features, the params,
//	            the feature schema (dim and the load step's description of
//	            the feature columns), the digest of the training data,
//	            rows, class weights, and how the fit ended
//	objective   scikit-learn's primal objective at the coefficients found
//	            (see logreg.Params)
//	iterations  solver iterations
//	converged   whether a convergence test passed within max_iter
//	status      why the solver stopped ("gradient threshold",
//	            "function convergence", "iteration limit",
//	            "line search failure")
//
// A fit that does not converge still produces its model, and warns
// (steps.Env.Warn): the plan and the registry show the warning with the
// step, and the advice says what to change.
//
// # Seed
//
// Both solvers of steps/shared/logreg are deterministic and draw no random
// numbers (the l1 and elasticnet solver samples evenly spaced rows for
// its Hessian, at offsets fixed by the iteration number), so seed does
// not change the model today. It is accepted, and keyed, so that a
// pipeline can set one seed everywhere and so that a future solver that
// does use randomness is seeded by it.
//
// # Bad data
//
// The dataset format (steps/shared/dataset) already guarantees finite features
// and 0/1 labels: a file another writer made with a NaN or ±Inf is
// refused naming its row and feature, found once the fit failed on it
// (its first objective is then not finite) rather than in a pass of its
// own before the fit. On top of that, train refuses data with a single class
// (or a class of zero total weight), data whose features are all zero
// (the model could only learn the base rate, which is nearly always a
// broken load step), and reports the trainer's own errors (a non-finite
// value, an overflow) as errors of the data attribute.
package train
