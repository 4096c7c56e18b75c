package views

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pipe-ml/pipe/engine/registry"
)

// lineageTree writes the graph as an indented tree, the way a person
// reads lineage: from each root, upstream to the inputs or downstream to
// what was built from it. A node reached a second time is shown with
// "(see above)" and not expanded again. The runs involved follow the tree.
//
// Each node is a line and at most a few short details: a step with its
// kind and whether it ran or was cached in which run, an artifact with
// its digest cut to 12 hex digits, a model version's metrics, the
// outputs of an execution that are numbers, booleans or short strings.
// verbose adds each execution's configuration and outputs in full, whole
// digests and where the store keeps each artifact.
type lineageTree struct {
	*View
	verbose bool
}

func (v lineageTree) Graph(g *registry.Graph) error {
	bw := bufio.NewWriter(v.Stdout)
	t := newTreeWriter(bw, g)
	t.verbose = v.verbose
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
	verbose  bool
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
		fmt.Fprintf(t.w, "%s%s%s (see above)\n", prefix, via, t.label(n))
		return
	}
	t.seen[id] = true
	fmt.Fprintf(t.w, "%s%s%s\n", prefix, via, t.label(n))
	kids := t.children[id]
	bar := "  "
	if len(kids) > 0 {
		bar = "│ "
	}
	details := t.details(n)
	// Upstream, an execution's other outputs: the trials beside the
	// params a search chose, the split not followed here.
	for _, p := range t.produced[id] {
		if a := t.nodes[p.node]; a != nil && p.node != parent {
			details = append(details, "produced "+p.edge.Name+": "+t.label(a))
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

// label is a node's line.
func (t *treeWriter) label(n *registry.Node) string {
	if n.Type == registry.NodeExecution && !t.verbose {
		return executionLabel(n.Execution)
	}
	return nodeLabel(n)
}

// details are the lines shown under a node the first time it appears.
func (t *treeWriter) details(n *registry.Node) []string {
	if t.verbose {
		return nodeDetails(n)
	}
	return compactDetails(n)
}

// executionLabel is an execution on one line: its step, its kind, and
// what happened to it in which run.
func executionLabel(e *registry.ExecutionNode) string {
	s := fmt.Sprintf("%s (%s) %s in run %d", e.Step, kindLabel(e.Kind, e.KindVersion), statusLabel(e.Status, e.Executor), e.RunID)
	if e.CachedFrom != 0 && e.CachedFromRun != e.RunID {
		s += fmt.Sprintf(" (ran in run %d)", e.CachedFromRun)
	}
	return s
}

// compactDetails are a model version's metrics and location, and an
// execution's short outputs, error and warnings.
func compactDetails(n *registry.Node) []string {
	var out []string
	switch n.Type {
	case registry.NodeModelVersion:
		v := n.ModelVersion
		if len(v.Metrics) > 0 {
			out = append(out, "metrics: "+shortMetrics(v.Metrics))
		}
		if v.URI != "" {
			out = append(out, "uri: "+v.URI)
		}
	case registry.NodeExecution:
		e := n.Execution
		if s := shortOutputs(e.Outputs); s != "" {
			out = append(out, "outputs: "+s)
		}
		if e.Error != "" {
			out = append(out, "error: "+e.Error)
		}
		for _, w := range e.Warnings {
			out = append(out, "warning: "+w)
		}
	}
	return out
}

// shortMetrics lists metrics by name with four significant digits:
// "accuracy=0.95 log_loss=0.05".
func shortMetrics(m map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+strconv.FormatFloat(m[k], 'g', 4, 64))
	}
	return strings.Join(parts, " ")
}

// maxShort is the widest output shown without -v, in bytes.
const maxShort = 120

// shortOutputs lists an execution's outputs by name, each in a few words
// (shortValue); those that need more than maxShort bytes, and nulls, are
// left to -v.
func shortOutputs(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if s := shortValue(m[k]); s != "" && len(s) <= maxShort {
			parts = append(parts, k+"="+s)
		}
	}
	return strings.Join(parts, " ")
}

// shortValue writes a JSON value in a few words: whole numbers as they
// are, others with four significant digits, strings quoted, objects as
// {name=value ...} without their nulls, lists as [a, b]; "" for null.
func shortValue(x any) string {
	switch x := x.(type) {
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return x.String()
		}
		if f, err := x.Float64(); err == nil {
			return strconv.FormatFloat(f, 'g', 4, 64)
		}
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case string:
		return strconv.Quote(x)
	case map[string]any:
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if s := shortValue(x[k]); s != "" {
				parts = append(parts, k+"="+s)
			}
		}
		return "{" + strings.Join(parts, " ") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, v := range x {
			if parts[i] = shortValue(v); parts[i] == "" {
				parts[i] = "null"
			}
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return ""
}

// nodeLabel is a node's one-line summary, in full.
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
		s := fmt.Sprintf("%s (%s) %s", e.Step, kindLabel(e.Kind, e.KindVersion), statusLabel(e.Status, e.Executor))
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

// nodeDetails are all the lines -v shows under a node the first time it
// appears.
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
