// Package scoring is what the evaluate and predict step kinds share: it
// reads a train step's model artifact and a dataset artifact, refuses a
// dataset whose feature width is not the model's, and computes the
// model's probability for every row. It reads the feature matrix once:
// a row that holds a NaN or ±Inf is found from its margin, which is then
// not finite, and refused with the row and the feature named.
//
// steps/shared/logreg owns the model and its arithmetic, steps/shared/dataset the
// dataset format; steps/evaluate and steps/predict own what they do with
// the probabilities.
package scoring
