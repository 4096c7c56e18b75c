package views

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"

	"github.com/pipe-ml/pipe/engine/registry"
)

// lineageDOT writes the graph in Graphviz DOT: executions grouped in one
// cluster per run (labelled with its Git commit), artifacts as notes,
// model versions as boxes, roots drawn bold, edges the way data flowed.
type lineageDOT struct{ *View }

func (v lineageDOT) Graph(g *registry.Graph) error {
	bw := bufio.NewWriter(v.Stdout)
	bw.WriteString("digraph lineage {\n")
	bw.WriteString("  rankdir=LR;\n")
	bw.WriteString("  graph [fontname=\"Helvetica\" fontsize=11];\n")
	bw.WriteString("  node [fontname=\"Helvetica\" fontsize=10];\n")
	bw.WriteString("  edge [fontname=\"Helvetica\" fontsize=9];\n")
	roots := map[string]bool{}
	for _, r := range g.Roots {
		roots[r] = true
	}
	byRun := map[int64][]*registry.Node{}
	var runs []*registry.Run
	for i := range g.Nodes {
		n := &g.Nodes[i]
		switch n.Type {
		case registry.NodeExecution:
			byRun[n.Execution.RunID] = append(byRun[n.Execution.RunID], n)
		case registry.NodeRun:
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
			bw.WriteString("    " + dotNode(n, roots[n.ID]))
		}
		bw.WriteString("  }\n")
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.Type == registry.NodeRun || n.Type == registry.NodeExecution && clustered[n.Execution.RunID] {
			continue
		}
		bw.WriteString("  " + dotNode(n, roots[n.ID]))
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

// dotNode is a node's statement, a root drawn bold.
func dotNode(n *registry.Node, root bool) string {
	var shape string
	switch n.Type {
	case registry.NodeModelVersion:
		shape = `shape=box3d`
	case registry.NodeExecution:
		shape = `shape=box style=rounded`
	case registry.NodeArtifact:
		shape = `shape=note`
	}
	if root {
		shape += ` penwidth=2`
	}
	return fmt.Sprintf("%s [%s label=%s];\n", dotQuote(n.ID), shape, dotQuote(dotLabel(n)))
}

func dotLabel(n *registry.Node) string {
	switch n.Type {
	case registry.NodeModelVersion:
		v := n.ModelVersion
		lines := []string{v.String()}
		if len(v.Aliases) > 0 {
			lines = append(lines, strings.Join(v.Aliases, ", "))
		}
		if len(v.Metrics) > 0 {
			lines = append(lines, formatMetrics(v.Metrics))
		}
		return strings.Join(lines, "\n")
	case registry.NodeExecution:
		e := n.Execution
		return fmt.Sprintf("%s\n%s, %s\nexecution %d", e.Step, kindLabel(e.Kind, e.KindVersion), e.Status, e.ID)
	case registry.NodeArtifact:
		a := n.Artifact
		lines := []string{a.Kind}
		lines = append(lines, a.Paths...)
		lines = append(lines, shortDigest(a.Digest), humanSize(a.Size))
		return strings.Join(lines, "\n")
	}
	return n.ID
}

func runClusterLabel(r *registry.Run) string {
	s := fmt.Sprintf("run %d: %s, %s, %s", r.ID, r.Pipeline, r.Trigger, r.Status)
	if r.GitCommit != "" {
		s += "\ngit " + shortCommit(r.GitCommit)
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
