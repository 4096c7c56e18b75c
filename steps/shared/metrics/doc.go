// Package metrics scores a binary classifier: the confusion matrix at a
// threshold, accuracy, precision, recall, F1, log loss, ROC AUC, average
// precision, the ROC and precision-recall curves, the threshold that
// maximises F1, one [Report] holding all of them, and a PNG plot of the
// two curves. It is a pure library: no engine, no cty, no files.
//
// The evaluate and search step kinds (steps/evaluate, steps/search) call
// it; they own reading models and datasets, stratified k-fold splitting
// and turning a [Report] into step outputs. The model and its
// probabilities belong to steps/shared/logreg.
//
// # Reference
//
// Every number agrees with scikit-learn 1.2.1 to 1e-9 (the test data in
// testdata/reference.json is made by testdata/make_reference.py), ties
// and sample weights included. Where scikit-learn warns and returns NaN or
// raises, this package returns a [*DataError] instead, so a NaN is never
// published.
//
// # Inputs
//
// [Data] holds labels as float64 values that must be exactly 0 or 1 (the
// type of steps/shared/logreg's labels; steps/shared/dataset gives its uint8 labels in
// this form with LabelsFloat64), scores as
// float64 (the predicted probability of class 1), and optional sample
// weights (nil means every row weighs 1; weights must be finite and not
// negative). Rows of weight zero count nowhere, as in scikit-learn.
//
// # Thresholds
//
// A row is predicted class 1 when its score is strictly greater than the
// threshold:
//
//	predicted(i) = 1  if  score(i) > threshold,  else 0.
//
// With threshold 0.5 this is exactly scikit-learn's
// LogisticRegression.predict, which returns class 1 when the decision
// function is > 0, i.e. when the probability is > 0.5: a row whose
// probability is exactly 0.5 is class 0. The curves keep scikit-learn's
// own convention for their threshold arrays (a point at threshold t counts
// the rows with score >= t), because they must match its arrays. [MaxF1]
// chooses among the distinct scores s the cut "score >= s" and reports it
// as the threshold just below s (the largest float64 smaller than s), so
// that "score > threshold" selects exactly the same rows.
//
// # Reports and plots
//
// [Evaluate] sorts the rows once (a radix sort, O(n)) and derives every
// metric and both curves from the cumulative sums along that order; the
// functions for single metrics sort again each time. A [Report] encodes
// to the same JSON bytes every time for the same data; another row order
// gives the same numbers up to the last bits of sums over rows. The
// curves are kept whole (one point per distinct score, so up to one per
// row) unless [Settings.CurveStep] thins them. [WritePNG] draws them with
// gonum/plot; its bytes are stable run to run as well.
package metrics
