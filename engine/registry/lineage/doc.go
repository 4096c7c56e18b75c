// Package lineage answers the registry's two questions: "what produced
// this model?" (Upstream) and "what was built from this file?"
// (Downstream), as a Graph of model versions, executions, artifacts and
// runs, from the local index (engine/registry/index).
//
// The walks are recursive SQL queries over the index's events,
// execution_inputs and model_versions; on a registry of 10,000 runs they
// take a few milliseconds from a model version (go test -run '^$' -bench
// Lineage ./engine/registry). The graph's nodes and edges are then loaded
// and pruned to the depth asked (build.go).
//
// engine/registry/models resolves NAME@VERSION and NAME@ALIAS; cmd/pipe
// renders graphs as a tree, JSON or Graphviz DOT.
package lineage
