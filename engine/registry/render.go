package registry

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// WriteJSON writes the graph as indented JSON: direction, ref, roots,
// nodes and edges, in the graph's deterministic order.
func WriteJSON(w io.Writer, g *Graph) error {
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return fmt.Errorf("registry: encode lineage: %w", err)
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// WriteTree writes the graph as an indented tree, the way a person reads
// lineage: from each root, upstream to the inputs or downstream to what
// was built from it. A node reached a second time is shown with "(see
// above)" and not expanded again. The runs involved follow the tree.
func WriteTree(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	t := &treeWriter{w: bw, g: g, seen: map[string]bool{}, children: map[string][]treeChild{}, produced: map[string][]treeChild{}}
	for _, e := range g.Edges {
		if g.Direction == Upstream {
			t.children[e.To] = append(t.children[e.To], treeChild{node: e.From, edge: e})
			if e.Type == EdgeProduced {
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
	var runs []*Run
	for _, n := range g.Nodes {
		if n.Type == NodeRun {
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
	edge Edge
}

type treeWriter struct {
	w        *bufio.Writer
	g        *Graph
	seen     map[string]bool
	children map[string][]treeChild
	// produced lists, upstream, the artifacts each execution produced: a
	// tree shows them as details of the execution, since walking from an
	// execution to its outputs would lead back down.
	produced map[string][]treeChild
}

// node writes one node: its line (after prefix and the edge's words), its
// details and its children, each line of which starts with indent. parent
// is the node it is shown under, "" for a root.
func (t *treeWriter) node(id, parent, prefix, indent, via string) {
	n := t.g.Node(id)
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
		if a := t.g.Node(p.node); a != nil && p.node != parent {
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
func edgeWords(dir Direction, e Edge) string {
	name := e.Name
	if dir == Upstream {
		switch e.Type {
		case EdgeUsed:
			return "used " + name + ": "
		case EdgeProduced:
			return "output " + name + " of: "
		case EdgeInput:
			return "input " + name + " from: "
		case EdgePublished:
			return "published by: "
		case EdgeVersion:
			return name + ": "
		}
	} else {
		switch e.Type {
		case EdgeUsed:
			return "used as " + name + " by: "
		case EdgeProduced:
			return "produced " + name + ": "
		case EdgeInput:
			return name + " used by: "
		case EdgePublished:
			return "published: "
		case EdgeVersion:
			return name + " of: "
		case EdgeArtifact:
			return "model artifact: "
		}
	}
	return string(e.Type) + ": "
}

func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

func humanSize(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, unit := float64(n)/1024, "KiB"
	for _, u := range []string{"MiB", "GiB", "TiB"} {
		if f < 1024 {
			break
		}
		f, unit = f/1024, u
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + unit
}

func formatMetrics(m map[string]float64) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+strconv.FormatFloat(m[k], 'g', -1, 64))
	}
	return strings.Join(parts, " ")
}

// nodeLabel is a node's one-line summary.
func nodeLabel(n *Node) string {
	switch n.Type {
	case NodeModelVersion:
		v := n.ModelVersion
		s := v.String() + " (model version"
		if len(v.Aliases) > 0 {
			s += ", " + strings.Join(v.Aliases, ", ")
		}
		return s + ")"
	case NodeExecution:
		e := n.Execution
		s := fmt.Sprintf("%s (%s) %s", e.Step, kindVersion(e.Kind, e.KindVersion), e.Status)
		if e.CachedFrom != 0 {
			s += fmt.Sprintf(" from execution %d of run %d", e.CachedFrom, e.CachedFromRun)
		}
		return s + fmt.Sprintf(", execution %d in run %d", e.ID, e.RunID)
	case NodeArtifact:
		a := n.Artifact
		s := shortDigest(a.Digest) + " (" + a.Kind + ", " + humanSize(a.Size) + ")"
		if len(a.Paths) > 0 {
			s = strings.Join(a.Paths, ", ") + " " + s
		}
		return s
	case NodeRun:
		return runLabel(n.Run)
	}
	return n.ID
}

// kindVersion names a step kind's version once: "publish/1" for a kind
// whose version string starts with its name, else "train 1".
func kindVersion(kind, version string) string {
	if strings.HasPrefix(version, kind+"/") {
		return version
	}
	return kind + " " + version
}

// nodeDetails are the lines shown under a node the first time it appears.
func nodeDetails(n *Node) []string {
	var out []string
	switch n.Type {
	case NodeModelVersion:
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
		out = append(out, "created: "+formatTime(v.Created))
	case NodeExecution:
		e := n.Execution
		if len(e.Config) > 0 {
			out = append(out, "config: "+string(e.Config))
		}
		if len(e.Outputs) > 0 {
			out = append(out, "outputs: "+string(e.Outputs))
		}
		if e.Error != "" {
			out = append(out, "error: "+e.Error)
		}
		for _, w := range e.Warnings {
			out = append(out, "warning: "+w)
		}
	case NodeArtifact:
		a := n.Artifact
		out = append(out, "digest: "+a.Digest)
		if a.URI != "" {
			out = append(out, "uri: "+a.URI)
		}
	}
	return out
}

func runLabel(r *Run) string {
	s := fmt.Sprintf("run %d: %s, %s, %s, started %s", r.ID, r.Pipeline, r.Trigger, r.Status, formatTime(r.Started))
	if r.GitCommit != "" {
		c := r.GitCommit
		if len(c) > 12 {
			c = c[:12]
		}
		s += ", git " + c
		var notes []string
		if r.GitDirty != nil && *r.GitDirty {
			notes = append(notes, "dirty")
		}
		if r.GitBranch != "" {
			notes = append(notes, r.GitBranch)
		}
		if r.PullRequest != "" {
			notes = append(notes, "PR "+r.PullRequest)
		}
		if len(notes) > 0 {
			s += " (" + strings.Join(notes, ", ") + ")"
		}
	} else {
		s += ", not in Git"
	}
	return s + ", pipe " + r.PipeVersion
}

// WriteDOT writes the graph in Graphviz DOT: executions grouped in one
// cluster per run (labelled with its Git commit), artifacts as notes,
// model versions as boxes, roots drawn bold, edges the way data flowed.
func WriteDOT(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("digraph lineage {\n")
	bw.WriteString("  rankdir=LR;\n")
	bw.WriteString("  graph [fontname=\"Helvetica\" fontsize=11];\n")
	bw.WriteString("  node [fontname=\"Helvetica\" fontsize=10];\n")
	bw.WriteString("  edge [fontname=\"Helvetica\" fontsize=9];\n")
	roots := map[string]bool{}
	for _, r := range g.Roots {
		roots[r] = true
	}
	attrs := func(n *Node) string {
		var shape string
		switch n.Type {
		case NodeModelVersion:
			shape = `shape=box3d`
		case NodeExecution:
			shape = `shape=box style=rounded`
		case NodeArtifact:
			shape = `shape=note`
		}
		if roots[n.ID] {
			shape += ` penwidth=2`
		}
		return fmt.Sprintf("%s [%s label=%s];\n", dotQuote(n.ID), shape, dotQuote(dotLabel(n)))
	}

	byRun := map[int64][]*Node{}
	var runs []*Run
	for i := range g.Nodes {
		n := &g.Nodes[i]
		switch n.Type {
		case NodeExecution:
			byRun[n.Execution.RunID] = append(byRun[n.Execution.RunID], n)
		case NodeRun:
			runs = append(runs, n.Run)
		}
	}
	clustered := map[int64]bool{}
	for _, r := range runs {
		clustered[r.ID] = true
		fmt.Fprintf(bw, "  subgraph %s {\n", dotQuote("cluster_run_"+strconv.FormatInt(r.ID, 10)))
		fmt.Fprintf(bw, "    label=%s;\n", dotQuote(runClusterLabel(r)))
		bw.WriteString("    style=dashed;\n")
		for _, n := range byRun[r.ID] {
			bw.WriteString("    " + attrs(n))
		}
		bw.WriteString("  }\n")
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.Type == NodeRun || n.Type == NodeExecution && clustered[n.Execution.RunID] {
			continue
		}
		bw.WriteString("  " + attrs(n))
	}
	for _, e := range g.Edges {
		label := string(e.Type)
		if e.Name != "" {
			label += " " + e.Name
		}
		fmt.Fprintf(bw, "  %s -> %s [label=%s];\n", dotQuote(e.From), dotQuote(e.To), dotQuote(label))
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

func dotLabel(n *Node) string {
	switch n.Type {
	case NodeModelVersion:
		v := n.ModelVersion
		lines := []string{v.String()}
		if len(v.Aliases) > 0 {
			lines = append(lines, strings.Join(v.Aliases, ", "))
		}
		if len(v.Metrics) > 0 {
			lines = append(lines, formatMetrics(v.Metrics))
		}
		return strings.Join(lines, "\n")
	case NodeExecution:
		e := n.Execution
		return fmt.Sprintf("%s\n%s, %s\nexecution %d", e.Step, kindVersion(e.Kind, e.KindVersion), e.Status, e.ID)
	case NodeArtifact:
		a := n.Artifact
		lines := []string{a.Kind}
		lines = append(lines, a.Paths...)
		lines = append(lines, shortDigest(a.Digest), humanSize(a.Size))
		return strings.Join(lines, "\n")
	}
	return n.ID
}

func runClusterLabel(r *Run) string {
	s := fmt.Sprintf("run %d: %s, %s, %s", r.ID, r.Pipeline, r.Trigger, r.Status)
	if r.GitCommit != "" {
		c := r.GitCommit
		if len(c) > 12 {
			c = c[:12]
		}
		s += "\ngit " + c
		if r.GitDirty != nil && *r.GitDirty {
			s += " (dirty)"
		}
	}
	return s
}

// dotQuote quotes s as a DOT string: quotes and backslashes escaped,
// newlines as \n (a centred line break in a label).
func dotQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
