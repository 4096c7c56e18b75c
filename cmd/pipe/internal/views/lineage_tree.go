package views

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pipe-ml/pipe/engine/registry"
)

// lineageTree writes the graph as an indented tree, the way a person
// reads lineage: from each root, upstream to the inputs or downstream to
// what was built from it. A node reached a second time is shown with
// "(see above)" and not expanded again. The runs involved follow the tree.
type lineageTree struct{ *View }

func (v lineageTree) Graph(g *registry.Graph) error {
	bw := bufio.NewWriter(v.Stdout)
	t := newTreeWriter(bw, g)
	if len(g.Roots) > 1 {
		fmt.Fprintf(bw, "%s of %s (%d digests):\n\n", strings.ToUpper(string(g.Direction[:1]))+string(g.Direction[1:]), g.Ref, len(g.Roots))
	}
	for i, root := range g.Roots {
		if i > 0 {
			bw.WriteByte('\n')
		}
		t.node(root, "", "", "", "")
	}
	if g.Truncated {
		bw.WriteString("\n(truncated: the graph goes on past the depth or size limit)\n")
	}
	var runs []*registry.Run
	for _, n := range g.Nodes {
		if n.Type == registry.NodeRun {
			runs = append(runs, n.Run)
		}
	}
	if len(runs) > 0 {
		bw.WriteString("\nRuns:\n")
		for _, r := range runs {
			fmt.Fprintf(bw, "  %s\n", runLabel(r))
		}
	}
	return bw.Flush()
}

type treeChild struct {
	node string
	edge registry.Edge
}

type treeWriter struct {
	w        *bufio.Writer
	g        *registry.Graph
	nodes    map[string]*registry.Node
	seen     map[string]bool
	children map[string][]treeChild
	// produced lists, upstream, the artifacts each execution produced: a
	// tree shows them as details of the execution, since walking from an
	// execution to its outputs would lead back down.
	produced map[string][]treeChild
}

func newTreeWriter(w *bufio.Writer, g *registry.Graph) *treeWriter {
	t := &treeWriter{w: w, g: g, nodes: nodeIndex(g), seen: map[string]bool{}, children: map[string][]treeChild{}, produced: map[string][]treeChild{}}
	for _, e := range g.Edges {
		if g.Direction == registry.Upstream {
			t.children[e.To] = append(t.children[e.To], treeChild{node: e.From, edge: e})
			if e.Type == registry.EdgeProduced {
				t.produced[e.From] = append(t.produced[e.From], treeChild{node: e.To, edge: e})
			}
		} else {
			t.children[e.From] = append(t.children[e.From], treeChild{node: e.To, edge: e})
		}
	}
	// Read a node's inputs (or uses) by name: data before model before
	// report; the same name keeps the graph's order.
	for _, kids := range t.children {
		sort.SliceStable(kids, func(i, j int) bool { return kids[i].edge.Name < kids[j].edge.Name })
	}
	for _, outs := range t.produced {
		sort.SliceStable(outs, func(i, j int) bool { return outs[i].edge.Name < outs[j].edge.Name })
	}
	return t
}

// node writes one node: its line (after prefix and the edge's words), its
// details and its children, each line of which starts with indent. parent
// is the node it is shown under, "" for a root.
func (t *treeWriter) node(id, parent, prefix, indent, via string) {
	n := t.nodes[id]
	if n == nil {
		return
	}
	if t.seen[id] {
		fmt.Fprintf(t.w, "%s%s%s (see above)\n", prefix, via, nodeLabel(n))
		return
	}
	t.seen[id] = true
	fmt.Fprintf(t.w, "%s%s%s\n", prefix, via, nodeLabel(n))
	kids := t.children[id]
	bar := "  "
	if len(kids) > 0 {
		bar = "│ "
	}
	details := nodeDetails(n)
	// Upstream, an execution's other outputs: the trials beside the
	// params a search chose, the split not followed here.
	for _, p := range t.produced[id] {
		if a := t.nodes[p.node]; a != nil && p.node != parent {
			details = append(details, "produced "+p.edge.Name+": "+nodeLabel(a))
		}
	}
	for _, d := range details {
		fmt.Fprintf(t.w, "%s%s%s\n", indent, bar, d)
	}
	for i, c := range kids {
		branch, next := "├── ", "│   "
		if i == len(kids)-1 {
			branch, next = "└── ", "    "
		}
		t.node(c.node, id, indent+branch, indent+next, edgeWords(t.g.Direction, c.edge))
	}
}

// edgeWords says how a child in the tree relates to its parent.
func edgeWords(dir registry.Direction, e registry.Edge) string {
	name := e.Name
	if dir == registry.Upstream {
		switch e.Type {
		case registry.EdgeUsed:
			return "used " + name + ": "
		case registry.EdgeProduced:
			return "output " + name + " of: "
		case registry.EdgeInput:
			return "input " + name + " from: "
		case registry.EdgePublished:
			return "published by: "
		case registry.EdgeVersion:
			return name + ": "
		}
	} else {
		switch e.Type {
		case registry.EdgeUsed:
			return "used as " + name + " by: "
		case registry.EdgeProduced:
			return "produced " + name + ": "
		case registry.EdgeInput:
			return name + " used by: "
		case registry.EdgePublished:
			return "published: "
		case registry.EdgeVersion:
			return name + " of: "
		case registry.EdgeArtifact:
			return "model artifact: "
		}
	}
	return string(e.Type) + ": "
}

// nodeLabel is a node's one-line summary.
func nodeLabel(n *registry.Node) string {
	switch n.Type {
	case registry.NodeModelVersion:
		v := n.ModelVersion
		s := v.String() + " (model version"
		if len(v.Aliases) > 0 {
			s += ", " + strings.Join(v.Aliases, ", ")
		}
		return s + ")"
	case registry.NodeExecution:
		e := n.Execution
		s := fmt.Sprintf("%s (%s) %s", e.Step, kindLabel(e.Kind, e.KindVersion), e.Status)
		if e.CachedFrom != 0 {
			s += fmt.Sprintf(" from execution %d of run %d", e.CachedFrom, e.CachedFromRun)
		}
		return s + fmt.Sprintf(", execution %d in run %d", e.ID, e.RunID)
	case registry.NodeArtifact:
		a := n.Artifact
		s := shortDigest(a.Digest) + " (" + a.Kind + ", " + humanSize(a.Size) + ")"
		if len(a.Paths) > 0 {
			s = strings.Join(a.Paths, ", ") + " " + s
		}
		return s
	case registry.NodeRun:
		return runLabel(n.Run)
	}
	return n.ID
}

// nodeDetails are the lines shown under a node the first time it appears.
func nodeDetails(n *registry.Node) []string {
	var out []string
	switch n.Type {
	case registry.NodeModelVersion:
		v := n.ModelVersion
		out = append(out, "model: "+v.ModelDigest)
		if len(v.Metrics) > 0 {
			out = append(out, "metrics: "+formatMetrics(v.Metrics))
		}
		if v.EvalDataDigest != "" {
			out = append(out, "evaluated on: "+v.EvalDataDigest)
		}
		if v.URI != "" {
			out = append(out, "uri: "+v.URI)
		}
		out = append(out, "created: "+formatRegistryTime(v.Created))
	case registry.NodeExecution:
		e := n.Execution
		if len(e.Config) > 0 {
			out = append(out, "config: "+compactJSON(e.Config))
		}
		if len(e.Outputs) > 0 {
			out = append(out, "outputs: "+compactJSON(e.Outputs))
		}
		if e.Error != "" {
			out = append(out, "error: "+e.Error)
		}
		for _, w := range e.Warnings {
			out = append(out, "warning: "+w)
		}
	case registry.NodeArtifact:
		a := n.Artifact
		out = append(out, "digest: "+a.Digest)
		if a.URI != "" {
			out = append(out, "uri: "+a.URI)
		}
	}
	return out
}

// compactJSON is a JSON value on one line.
func compactJSON(raw []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}
