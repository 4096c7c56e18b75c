package views

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/registry"
)

// Lineage prints a lineage graph: pipe lineage.
type Lineage interface {
	Graph(g *registry.Graph) error
}

// NewLineage returns the lineage view for vt: a tree for people (with
// verbose, every configuration and output in full), JSON, or Graphviz
// DOT.
func NewLineage(vt arguments.ViewType, verbose bool, v *View) Lineage {
	switch vt {
	case arguments.ViewJSON:
		return lineageJSON{v}
	case arguments.ViewDOT:
		return lineageDOT{v}
	default:
		return lineageTree{v, verbose}
	}
}

// lineageJSON writes the graph as the registry encodes it: direction,
// ref, roots, nodes and edges, in the graph's deterministic order.
type lineageJSON struct{ *View }

func (v lineageJSON) Graph(g *registry.Graph) error { return writeJSON(v.Stdout, g) }

// nodeIndex finds a graph's nodes by ID, also in a graph decoded from
// JSON.
func nodeIndex(g *registry.Graph) map[string]*registry.Node {
	m := make(map[string]*registry.Node, len(g.Nodes))
	for i := range g.Nodes {
		m[g.Nodes[i].ID] = &g.Nodes[i]
	}
	return m
}

// shortDigest is a digest as people read it: the algorithm and 12 hex
// digits, as Git shortens commits.
func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

// shortCommit is a Git commit's first 12 digits.
func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// humanSize is a size in binary units: 812 B, 4.0 KiB.
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

// formatMetrics lists metrics by name: "accuracy=0.9 f1=0.8".
func formatMetrics(m map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+strconv.FormatFloat(m[k], 'g', -1, 64))
	}
	return strings.Join(parts, " ")
}

// kindLabel names a step kind and its version once: "publish/1" for a
// version string that starts with the kind's name, else "train 1".
// statusLabel is what happened to an execution, and where one that ran
// away from the apply's process ran: "ran on kubernetes".
func statusLabel(status, ranOn string) string {
	if ranOn != "" && ranOn != executor.LocalName {
		return status + " on " + ranOn
	}
	return status
}

func kindLabel(kind, version string) string {
	if strings.HasPrefix(version, kind+"/") {
		return version
	}
	return kind + " " + version
}

// registryTime is how the registry writes times: UTC, milliseconds.
const registryTime = "2006-01-02T15:04:05.000Z"

func formatRegistryTime(t time.Time) string { return t.UTC().Format(registryTime) }

// runLabel is a run on one line, with its Git commit.
func runLabel(r *registry.Run) string {
	s := fmt.Sprintf("run %d: %s, %s, %s, started %s", r.ID, r.Pipeline, r.Trigger, r.Status, formatRegistryTime(r.Started))
	if r.GitCommit != "" {
		s += ", git " + shortCommit(r.GitCommit)
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
