package views

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/graph"
	"github.com/pipe-ml/pipe/engine/pipeline"
)

// Graph prints a pipeline's steps and the dependencies between them: one
// node per step, an edge from each step to the steps that use its
// outputs, labelled with the outputs used; edges from depends_on are
// dashed. The output is the same byte for byte from run to run.
type Graph interface {
	Pipeline(p *pipeline.Pipeline) error
}

// NewGraph returns the graph view for vt: Graphviz DOT or Mermaid.
func NewGraph(vt arguments.ViewType, v *View) Graph {
	if vt == arguments.ViewMermaid {
		return graphMermaid{v}
	}
	return graphDOT{v}
}

// edgesOut lists, for each step in address order, the steps that use it.
func edgesOut(p *pipeline.Pipeline, visit func(from, to config.StepAddr, e *graph.Edge)) {
	for _, to := range p.Config.StepAddrs() {
		for _, from := range p.Config.StepAddrs() {
			if e := p.Graph.Edge(to, from); e != nil {
				visit(from, to, e)
			}
		}
	}
}

type graphDOT struct{ *View }

func (v graphDOT) Pipeline(p *pipeline.Pipeline) error {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", strconv.Quote(p.Config.Name()))
	b.WriteString("  rankdir = \"LR\";\n")
	b.WriteString("  node [shape = \"box\", style = \"rounded\"];\n")
	for _, addr := range p.Config.StepAddrs() {
		fmt.Fprintf(&b, "  %s;\n", strconv.Quote(addr.String()))
	}
	edgesOut(p, func(from, to config.StepAddr, e *graph.Edge) {
		var attrs []string
		switch {
		case len(e.Outputs) > 0:
			attrs = append(attrs, "label = "+strconv.Quote(strings.Join(e.Outputs, ", ")))
		case !e.Data:
			attrs = append(attrs, "style = \"dashed\"")
		}
		if len(attrs) == 0 {
			fmt.Fprintf(&b, "  %s -> %s;\n", strconv.Quote(from.String()), strconv.Quote(to.String()))
			return
		}
		fmt.Fprintf(&b, "  %s -> %s [%s];\n", strconv.Quote(from.String()), strconv.Quote(to.String()), strings.Join(attrs, ", "))
	})
	b.WriteString("}\n")
	_, err := io.WriteString(v.Stdout, b.String())
	return err
}

type graphMermaid struct{ *View }

func (v graphMermaid) Pipeline(p *pipeline.Pipeline) error {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := map[config.StepAddr]string{}
	for i, addr := range p.Config.StepAddrs() {
		ids[addr] = fmt.Sprintf("s%d", i)
		fmt.Fprintf(&b, "  %s[\"%s\"]\n", ids[addr], addr)
	}
	edgesOut(p, func(from, to config.StepAddr, e *graph.Edge) {
		switch {
		case len(e.Outputs) > 0:
			fmt.Fprintf(&b, "  %s -->|%s| %s\n", ids[from], strings.Join(e.Outputs, ", "), ids[to])
		case e.Data:
			fmt.Fprintf(&b, "  %s --> %s\n", ids[from], ids[to])
		default:
			fmt.Fprintf(&b, "  %s -.-> %s\n", ids[from], ids[to])
		}
	})
	_, err := io.WriteString(v.Stdout, b.String())
	return err
}
