package lineage

import (
	"encoding/json"
	"math"

	"github.com/pipe-ml/pipe/engine/registry/index"
	"github.com/pipe-ml/pipe/engine/registry/models"
)

// Direction is which way a lineage query walks.
type Direction string

const (
	// Upstream walks from a thing to what produced it: a model version to
	// its publish and train executions, their data, the input files.
	Upstream Direction = "upstream"
	// Downstream walks from a thing to everything built from it: a file to
	// the datasets, models, versions and predictions made from it.
	Downstream Direction = "downstream"
)

// NodeType is the type of a lineage node.
type NodeType string

const (
	NodeModelVersion NodeType = "model_version"
	NodeExecution    NodeType = "execution"
	NodeArtifact     NodeType = "artifact"
	NodeRun          NodeType = "run"
)

// EdgeType is how two lineage nodes are related. Edges point the way data
// flowed: from an input to the execution that used it, from an execution
// to what it produced.
type EdgeType string

const (
	// EdgeUsed: artifact -> execution that read it (Name: input name).
	EdgeUsed EdgeType = "used"
	// EdgeProduced: execution -> artifact it wrote (Name: output name).
	EdgeProduced EdgeType = "produced"
	// EdgeInput: execution -> execution that used one of its non-artifact
	// outputs (Name: the reference, e.g. search.lr.best).
	EdgeInput EdgeType = "input"
	// EdgePublished: publish execution -> model version it created.
	EdgePublished EdgeType = "published"
	// EdgeVersion: model or report artifact -> model version, when the
	// version's publish execution is not known (Name: model or report).
	EdgeVersion EdgeType = "version"
	// EdgeArtifact: model version -> its model artifact; only at the root
	// of a downstream graph, to walk on from the version.
	EdgeArtifact EdgeType = "artifact"
)

// Graph is the answer to a lineage query. Nodes are sorted by type (model
// versions, executions, artifacts, runs) then by ID; edges by their nodes'
// positions. Runs have no edges: an execution names its run.
type Graph struct {
	Direction Direction `json:"direction"`
	// Ref is the reference the query was asked with.
	Ref string `json:"ref"`
	// Roots are the IDs of the nodes the ref resolved to.
	Roots []string `json:"roots"`
	Nodes []Node   `json:"nodes"`
	Edges []Edge   `json:"edges"`
	// Truncated is true when the walk stopped at its depth or size limit
	// before reaching the end.
	Truncated bool `json:"truncated,omitempty"`

	index map[string]int
}

// Node is one model version, execution, artifact or run. Exactly one of
// the pointers is set, matching Type.
//
// IDs are "model:NAME@VERSION", "execution:ID", "artifact:DIGEST" and
// "run:ID".
type Node struct {
	ID           string               `json:"id"`
	Type         NodeType             `json:"type"`
	ModelVersion *models.ModelVersion `json:"model_version,omitempty"`
	Execution    *ExecutionNode       `json:"execution,omitempty"`
	Artifact     *index.ArtifactInfo  `json:"artifact,omitempty"`
	Run          *index.Run           `json:"run,omitempty"`
}

// ExecutionNode is an execution in a lineage graph. Its used and produced
// artifacts are the graph's edges, not fields.
type ExecutionNode struct {
	index.Execution
	// CachedFrom is, for a cached execution, the first execution with the
	// same cache key that ran, and CachedFromRun its run.
	CachedFrom    int64 `json:"cached_from,omitempty"`
	CachedFromRun int64 `json:"cached_from_run,omitempty"`
}

// Edge is a relation between two nodes, in the direction data flowed.
type Edge struct {
	From string   `json:"from"`
	To   string   `json:"to"`
	Type EdgeType `json:"type"`
	// Name is the input, output or reference name, when there is one.
	Name string `json:"name,omitempty"`
}

// Node returns the node with the given ID, or nil.
func (g *Graph) Node(id string) *Node {
	if i, ok := g.index[id]; ok {
		return &g.Nodes[i]
	}
	return nil
}

// Options bound a lineage walk. A nil *Options means the defaults.
type Options struct {
	// MaxDepth keeps nodes at most this many edges from a root; 0 means
	// no limit.
	MaxDepth int
	// MaxNodes stops the walk once it has found this many model
	// versions, executions and artifacts; 0 means 100000.
	MaxNodes int
}

func (o *Options) depth() int {
	if o == nil || o.MaxDepth <= 0 {
		return math.MaxInt
	}
	return o.MaxDepth
}

func (o *Options) nodes() int {
	if o == nil || o.MaxNodes <= 0 {
		return 100000
	}
	return o.MaxNodes
}

// MarshalJSON keeps the unexported index out and the lists non-null.
func (g *Graph) MarshalJSON() ([]byte, error) {
	type graph Graph
	c := *g
	if c.Nodes == nil {
		c.Nodes = []Node{}
	}
	if c.Edges == nil {
		c.Edges = []Edge{}
	}
	if c.Roots == nil {
		c.Roots = []string{}
	}
	return json.Marshal((*graph)(&c))
}

// UnmarshalJSON reads a graph back, with its node index.
func (g *Graph) UnmarshalJSON(b []byte) error {
	type graph Graph
	if err := json.Unmarshal(b, (*graph)(g)); err != nil {
		return err
	}
	g.index = make(map[string]int, len(g.Nodes))
	for i, n := range g.Nodes {
		g.index[n.ID] = i
	}
	return nil
}
