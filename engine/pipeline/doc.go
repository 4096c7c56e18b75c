// Package pipeline loads a pipeline from disk in named phases, each adding
// its diagnostics: parse and decode the files (engine/config), build and
// check the step graph (engine/graph), find calls to unknown functions,
// resolve variables, evaluate locals and settings, and check every step's
// attributes with the outputs of other steps still unknown (engine/eval).
// Every phase runs whatever the earlier ones found, so that all problems
// are reported at once, and none twice. What comes out is a checked
// pipeline, ready for `pipe validate` and `pipe graph`, and the starting
// point of a plan (engine/plan).
package pipeline
