package page

import (
	"reflect"
	"testing"

	"github.com/pipe-ml/pipe/engine/dag"
)

// TestLayout: what a step depends on is drawn to its left, every box in
// its own place, and the same graph the same way every time.
func TestLayout(t *testing.T) {
	g := &dag.Graph{}
	g.Connect("search.lr", "load.corpus")
	g.Connect("train.model", "search.lr")
	g.Connect("train.model", "load.corpus")
	g.Connect("evaluate.holdout", "train.model")
	g.Connect("evaluate.holdout", "load.corpus")
	g.Add("lonely.step")
	look := func(v string) nodeLook { return nodeLook{Title: v, Class: "ran", Href: "/x/" + v} }
	d := layout(g, "test", look)
	at := map[string]drawnNode{}
	seen := map[[2]int]bool{}
	for _, n := range d.Nodes {
		at[n.ID] = n
		if seen[[2]int{n.X, n.Y}] {
			t.Errorf("two boxes at %d,%d", n.X, n.Y)
		}
		seen[[2]int{n.X, n.Y}] = true
		if n.X+n.W > d.Width || n.Y+n.H > d.Height {
			t.Errorf("%s is outside the drawing", n.ID)
		}
	}
	for _, e := range g.Edges() {
		if at[e.To].X >= at[e.From].X {
			t.Errorf("%s is not left of %s, which depends on it", e.To, e.From)
		}
	}
	if len(d.Edges) != 5 || len(d.Nodes) != 5 {
		t.Errorf("%d nodes, %d edges", len(d.Nodes), len(d.Edges))
	}
	if again := layout(g, "test", look); !reflect.DeepEqual(d, again) {
		t.Error("the same graph was drawn two ways")
	}
}
