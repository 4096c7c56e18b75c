// Package media declares the kinds of artifact the built-in step kinds
// exchange, as [steps.Media] values: the media type of the bytes, the
// label people see (the registry's artifact kind) and a description.
// The kinds name them on their outputs (what they make) and on their
// attributes (what they accept); the catalog gathers them from there, so
// this is not a list anyone else keeps: a kind with a kind of artifact
// no other kind reads declares its Media in its own package.
//
// The formats themselves belong to the packages that read and write
// them: steps/shared/dataset (datasets), steps/shared/logreg (models),
// steps/evaluate (reports and plots), steps/search (trials) and
// steps/predict (predictions).
package media
