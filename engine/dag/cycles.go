package dag

import "slices"

// MaxCycles bounds how many cycles Cycles returns: a dense tangle of steps
// can have exponentially many, and a person fixes the first few anyway.
const MaxCycles = 100

// Cycles returns every elementary cycle of the graph (up to MaxCycles),
// each as the list of vertices along it in dependency order: v[0] depends
// on v[1], ..., and the last depends on v[0]. Each cycle starts at its
// smallest name, and the cycles are sorted, so the result is stable. A
// vertex that depends on itself is a cycle of one.
//
// It is Johnson's algorithm ("Finding all the elementary circuits of a
// directed graph", 1975), run on vertices in sorted order.
func (g *Graph) Cycles() [][]string {
	vertices := g.Vertices()
	var cycles [][]string
	for i, start := range vertices {
		if len(cycles) >= MaxCycles {
			break
		}
		// Search only among vertices not smaller than start, so each
		// cycle is found once, from its smallest vertex.
		allowed := map[string]bool{}
		for _, v := range vertices[i:] {
			allowed[v] = true
		}
		j := &johnson{g: g, allowed: allowed, blocked: map[string]bool{}, blockMap: map[string]map[string]bool{}, start: start}
		j.circuit(start, &cycles)
	}
	slices.SortFunc(cycles, func(a, b []string) int { return slices.Compare(a, b) })
	return cycles
}

type johnson struct {
	g        *Graph
	allowed  map[string]bool
	blocked  map[string]bool
	blockMap map[string]map[string]bool
	stack    []string
	start    string
}

func (j *johnson) circuit(v string, out *[][]string) bool {
	if len(*out) >= MaxCycles {
		return true
	}
	found := false
	j.stack = append(j.stack, v)
	j.blocked[v] = true
	for _, w := range j.g.DependsOn(v) {
		if !j.allowed[w] {
			continue
		}
		if w == j.start {
			*out = append(*out, slices.Clone(j.stack))
			found = true
		} else if !j.blocked[w] && j.circuit(w, out) {
			found = true
		}
	}
	if found {
		j.unblock(v)
	} else {
		for _, w := range j.g.DependsOn(v) {
			if !j.allowed[w] {
				continue
			}
			if j.blockMap[w] == nil {
				j.blockMap[w] = map[string]bool{}
			}
			j.blockMap[w][v] = true
		}
	}
	j.stack = j.stack[:len(j.stack)-1]
	return found
}

func (j *johnson) unblock(v string) {
	j.blocked[v] = false
	for w := range j.blockMap[v] {
		delete(j.blockMap[v], w)
		if j.blocked[w] {
			j.unblock(w)
		}
	}
}
