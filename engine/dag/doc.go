// Package dag is a directed acyclic graph of named vertices and a parallel
// walk over it. It knows nothing about pipelines or steps: a vertex is only
// a name. The engine/graph package builds the graph of a pipeline's steps;
// engine/plan and the apply walk use it.
//
// Edges point from a dependent to what it depends on. Every method returns
// names in a deterministic order (sorted, or topological with sorted ties),
// so anything printed from a graph is the same from run to run.
package dag
