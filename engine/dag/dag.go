package dag

import (
	"slices"
)

// Graph is a directed graph of named vertices. The zero value is an empty
// graph ready to use. A Graph is not safe for concurrent mutation.
type Graph struct {
	deps       map[string]map[string]bool // vertex -> what it depends on
	dependents map[string]map[string]bool // vertex -> what depends on it
}

// Add adds a vertex; adding one twice is a no-op.
func (g *Graph) Add(v string) {
	if g.deps == nil {
		g.deps = map[string]map[string]bool{}
		g.dependents = map[string]map[string]bool{}
	}
	if _, ok := g.deps[v]; !ok {
		g.deps[v] = map[string]bool{}
		g.dependents[v] = map[string]bool{}
	}
}

// Connect records that dependent depends on dependency, adding either
// vertex if needed.
func (g *Graph) Connect(dependent, dependency string) {
	g.Add(dependent)
	g.Add(dependency)
	g.deps[dependent][dependency] = true
	g.dependents[dependency][dependent] = true
}

// Has reports whether v is a vertex.
func (g *Graph) Has(v string) bool {
	_, ok := g.deps[v]
	return ok
}

// Vertices returns every vertex, sorted.
func (g *Graph) Vertices() []string {
	return sortedKeys(g.deps)
}

// DependsOn returns what v depends on directly, sorted.
func (g *Graph) DependsOn(v string) []string {
	return sortedKeys(g.deps[v])
}

// Dependents returns what depends on v directly, sorted.
func (g *Graph) Dependents(v string) []string {
	return sortedKeys(g.dependents[v])
}

// Edge is a dependency: From depends on To.
type Edge struct{ From, To string }

// Edges returns every edge, sorted by From then To.
func (g *Graph) Edges() []Edge {
	var edges []Edge
	for _, from := range g.Vertices() {
		for _, to := range g.DependsOn(from) {
			edges = append(edges, Edge{from, to})
		}
	}
	return edges
}

// Ancestors returns everything v depends on, directly or not, sorted.
func (g *Graph) Ancestors(v string) []string {
	return g.reach(v, g.deps)
}

// Descendants returns everything that depends on v, directly or not,
// sorted.
func (g *Graph) Descendants(v string) []string {
	return g.reach(v, g.dependents)
}

func (g *Graph) reach(v string, next map[string]map[string]bool) []string {
	seen := map[string]bool{}
	stack := []string{v}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for n := range next[cur] {
			if !seen[n] {
				seen[n] = true
				stack = append(stack, n)
			}
		}
	}
	delete(seen, v)
	return sortedKeys(seen)
}

// TopoOrder returns the vertices so that every vertex comes after what it
// depends on; among vertices that are ready at the same time, names sort.
// It returns ok false when the graph has a cycle (see Cycles).
func (g *Graph) TopoOrder() (order []string, ok bool) {
	pending := map[string]int{}
	var ready []string
	for v, d := range g.deps {
		pending[v] = len(d)
		if len(d) == 0 {
			ready = append(ready, v)
		}
	}
	slices.Sort(ready)
	for len(ready) > 0 {
		v := ready[0]
		ready = ready[1:]
		order = append(order, v)
		var next []string
		for d := range g.dependents[v] {
			pending[d]--
			if pending[d] == 0 {
				next = append(next, d)
			}
		}
		ready = append(ready, next...)
		slices.Sort(ready)
	}
	return order, len(order) == len(g.deps)
}

// Subgraph returns the graph restricted to keep and the edges among them.
func (g *Graph) Subgraph(keep []string) *Graph {
	in := map[string]bool{}
	for _, v := range keep {
		if g.Has(v) {
			in[v] = true
		}
	}
	sub := &Graph{}
	for v := range in {
		sub.Add(v)
		for d := range g.deps[v] {
			if in[d] {
				sub.Connect(v, d)
			}
		}
	}
	return sub
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
