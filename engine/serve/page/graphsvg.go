package page

import (
	"fmt"
	"slices"
	"sort"

	"github.com/pipe-ml/pipe/engine/dag"
)

// A drawn graph: the page lays a dag.Graph out in layers from left to
// right, as data flows (what a vertex depends on is to its left), and the
// template draws it as SVG. Sizes are in SVG user units (pixels at 100%).
const (
	nodeW, nodeH = 188, 44
	gapX, gapY   = 56, 18
	graphPad     = 12
)

// drawing is a laid-out graph for the "graph" template.
type drawing struct {
	// Label names the graph for assistive technology.
	Label  string
	Width  int
	Height int
	Nodes  []drawnNode
	Edges  []drawnEdge
}

// drawnNode is a box with a title, a second line and a link.
type drawnNode struct {
	ID string
	// X, Y are the box's top left corner.
	X, Y int
	W, H int
	// Title and Sub are its two lines; Tip the tooltip (an SVG title).
	Title, Sub, Tip string
	// Class is the status or type that colours it: ran, cached, failed,
	// skipped, running, planned, artifact, version.
	Class string
	// Href is where it links; "" for no link.
	Href string
}

// drawnEdge is a curve from one box's right side to another's left.
type drawnEdge struct {
	Path  string
	Class string
}

// nodeLook says how to show a vertex.
type nodeLook struct {
	Title, Sub, Tip, Class, Href string
}

// layout places the vertices of g in columns: a vertex's column is one
// more than the furthest column of what it depends on, and within a
// column vertices are ordered to keep edges short (the barycentre of
// their neighbours, swept left to right and back). look says how each
// vertex is shown. The layout depends only on the graph, so the same
// graph is drawn the same way every time.
func layout(g *dag.Graph, label string, look func(v string) nodeLook) drawing {
	order, _ := g.TopoOrder()
	col := map[string]int{}
	var cols [][]string
	for _, v := range order {
		c := 0
		for _, d := range g.DependsOn(v) {
			c = max(c, col[d]+1)
		}
		col[v] = c
		for len(cols) <= c {
			cols = append(cols, nil)
		}
		cols[c] = append(cols[c], v)
	}
	untangle(g, cols)

	tallest := 0
	for _, c := range cols {
		tallest = max(tallest, len(c))
	}
	// Edges that skip columns arc over the boxes between: room above.
	top := graphPad
	for _, e := range g.Edges() {
		if col[e.From]-col[e.To] > 1 {
			top = graphPad + arcLift
			break
		}
	}
	d := drawing{
		Label:  label,
		Width:  2*graphPad + len(cols)*nodeW + max(len(cols)-1, 0)*gapX,
		Height: top + graphPad + tallest*nodeH + max(tallest-1, 0)*gapY,
	}
	at := map[string]drawnNode{}
	for c, vs := range cols {
		// Columns are centred on the tallest one.
		y0 := top + (tallest-len(vs))*(nodeH+gapY)/2
		for i, v := range vs {
			l := look(v)
			n := drawnNode{ID: v, X: graphPad + c*(nodeW+gapX), Y: y0 + i*(nodeH+gapY), W: nodeW, H: nodeH,
				Title: clip(l.Title, 26), Sub: clip(l.Sub, 30), Tip: l.Tip, Class: l.Class, Href: l.Href}
			if n.Tip == "" {
				n.Tip = l.Title
			}
			at[v] = n
			d.Nodes = append(d.Nodes, n)
		}
	}
	for _, e := range g.Edges() {
		from, to := at[e.To], at[e.From] // data flows from the dependency
		d.Edges = append(d.Edges, drawnEdge{Path: edgePath(from, to, col[e.From]-col[e.To] > 1), Class: "edge-" + from.Class})
	}
	return d
}

// arcLift is how far above the boxes an edge that skips columns goes.
const arcLift = 26

// edgePath is the curve of an edge: from the right side of from to the
// left side of to, or, when it skips columns, from the top of from over
// the boxes between to the top of to.
func edgePath(from, to drawnNode, skips bool) string {
	if skips {
		sx, sy := from.X+from.W-28, from.Y
		ex, ey := to.X+28, to.Y-6
		lift := min(sy, ey) - arcLift
		return fmt.Sprintf("M%d %d C%d %d %d %d %d %d", sx, sy, sx, lift, ex, lift, ex, ey)
	}
	x1, y1 := from.X+from.W, from.Y+from.H/2
	x2, y2 := to.X-6, to.Y+to.H/2
	mid := (x1 + x2) / 2
	return fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, mid, y1, mid, y2, x2, y2)
}

// untangle orders each column by the mean position of each vertex's
// neighbours in the column before it (then, sweeping back, after it),
// four times; ties keep their order.
func untangle(g *dag.Graph, cols [][]string) {
	pos := map[string]int{}
	place := func(c []string) {
		for i, v := range c {
			pos[v] = i
		}
	}
	for _, c := range cols {
		place(c)
	}
	sweep := func(c []string, neighbours func(string) []string) {
		key := map[string]float64{}
		for _, v := range c {
			ns := neighbours(v)
			if len(ns) == 0 {
				key[v] = float64(pos[v])
				continue
			}
			sum := 0
			for _, n := range ns {
				sum += pos[n]
			}
			key[v] = float64(sum) / float64(len(ns))
		}
		sort.SliceStable(c, func(i, j int) bool { return key[c[i]] < key[c[j]] })
		place(c)
	}
	for range 4 {
		for i := 1; i < len(cols); i++ {
			sweep(cols[i], g.DependsOn)
		}
		for i := len(cols) - 2; i >= 0; i-- {
			sweep(cols[i], g.Dependents)
		}
	}
}

// clip shortens s to n characters with an ellipsis; the tooltip has the
// whole text.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// sortedBy returns the keys of m sorted.
func sortedBy[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
