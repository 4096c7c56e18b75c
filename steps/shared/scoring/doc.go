// Package scoring is what the evaluate and predict step kinds share: it
// reads a train step's model artifact and a dataset artifact, refuses a
// dataset whose feature width is not the model's, and computes the
// model's probability for every row.
//
// steps/shared/logreg owns the model and its arithmetic, steps/shared/dataset the
// dataset format; steps/evaluate and steps/predict own what they do with
// the probabilities.
package scoring
