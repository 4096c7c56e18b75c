package page

import (
	"fmt"
	"path"

	"github.com/pipe-ml/pipe/engine/dag"
	"github.com/pipe-ml/pipe/engine/registry"
)

// drawLineage lays a lineage graph out as data flowed, from the input
// files on the left to the model version on the right. Runs are not
// drawn: an execution names its run.
func drawLineage(g *registry.Graph) drawing {
	dg := &dag.Graph{}
	nodes := map[string]registry.Node{}
	for _, n := range g.Nodes {
		if n.Type == registry.NodeRun {
			continue
		}
		nodes[n.ID] = n
		dg.Add(n.ID)
	}
	for _, e := range g.Edges {
		if _, ok := nodes[e.From]; !ok {
			continue
		}
		if _, ok := nodes[e.To]; ok {
			dg.Connect(e.To, e.From) // To was made from From
		}
	}
	return layout(dg, "Lineage of "+g.Ref+": what it was built from", func(id string) nodeLook {
		return lineageLook(nodes[id])
	})
}

// lineageLook shows a lineage node: an execution as its step and run,
// an artifact as its kind and digest (or a file's path), a version as
// its model and number.
func lineageLook(n registry.Node) nodeLook {
	switch {
	case n.Execution != nil:
		e := n.Execution
		l := nodeLook{Title: e.Step, Sub: fmt.Sprintf("run %d · %s", e.RunID, e.Status), Class: "execution", Href: stepHref(e.RunID, e.Step)}
		if e.CachedFromRun != 0 {
			l.Tip = fmt.Sprintf("%s in run %d, from the cache of run %d", e.Step, e.RunID, e.CachedFromRun)
		}
		return l
	case n.ModelVersion != nil:
		v := n.ModelVersion
		return nodeLook{Title: fmt.Sprintf("%s v%d", v.Model, v.Version), Sub: "model version", Class: "version", Href: versionHref(v.Model, v.Version)}
	case n.Artifact != nil:
		a := n.Artifact
		l := nodeLook{Title: a.Kind + " " + shortDigest(a.Digest)[7:], Sub: a.MediaType, Class: "artifact", Tip: a.Kind + " " + a.Digest}
		if len(a.Paths) > 0 {
			l.Title, l.Tip = path.Base(a.Paths[0]), a.Paths[0]+" ("+a.Digest+")"
		}
		return l
	}
	return nodeLook{Title: n.ID, Class: "artifact"}
}
