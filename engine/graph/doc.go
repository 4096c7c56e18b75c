// Package graph turns a decoded pipeline into its dependency graph: one
// vertex per step, an edge for every reference to another step's output
// and for every depends_on entry. It checks that each reference names a
// declared step and an output its kind produces, that locals and settings
// do not refer to steps, and that there are no cycles, reporting every
// cycle from a stable starting step.
//
// The graph itself is an engine/dag graph keyed by step address; this
// package adds what the edges mean (which outputs, written where), for
// diagnostics and for `pipe graph`.
package graph
