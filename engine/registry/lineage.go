package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
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
	ID           string         `json:"id"`
	Type         NodeType       `json:"type"`
	ModelVersion *ModelVersion  `json:"model_version,omitempty"`
	Execution    *ExecutionNode `json:"execution,omitempty"`
	Artifact     *ArtifactInfo  `json:"artifact,omitempty"`
	Run          *Run           `json:"run,omitempty"`
}

// ExecutionNode is an execution in a lineage graph. Its used and produced
// artifacts are the graph's edges, not fields.
type ExecutionNode struct {
	Execution
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

// LineageOptions bounds a lineage walk. A nil *LineageOptions means the
// defaults.
type LineageOptions struct {
	// MaxDepth is how many edges the walk follows from the root; 0 means
	// 64.
	MaxDepth int
	// MaxEdges stops the walk once it has found this many edges; 0 means
	// 100000.
	MaxEdges int
}

func (o *LineageOptions) depth() int {
	if o == nil || o.MaxDepth <= 0 {
		return 64
	}
	return o.MaxDepth
}

func (o *LineageOptions) edges() int {
	if o == nil || o.MaxEdges <= 0 {
		return 100000
	}
	return o.MaxEdges
}

// Upstream returns what produced ref: for a model version, the publish
// execution, the model and report artifacts, the train execution with its
// configuration, the search execution whose params it used, the datasets,
// the load execution and the input files with their digests, and the runs
// with their Git commits. For an artifact produced by several executions
// (the same bytes made again, or taken from the cache), the walk prefers
// the producer in the same run as the consumer, then the first that ran.
//
// ref is NAME@VERSION, NAME@ALIAS, NAME@latest, a digest (sha256:...; a
// unique prefix of at least 12 hex digits will do), or a file path as
// recorded, relative to the pipeline folder.
func (db *DB) Upstream(ctx context.Context, ref string, opts *LineageOptions) (*Graph, error) {
	return db.lineage(ctx, ref, Upstream, opts)
}

// Downstream returns everything built from ref: every execution, in any
// run, that used it, what they produced, the model versions published from
// it, and so on. A file path stands for every digest ever recorded at that
// path. ref takes the forms Upstream takes.
func (db *DB) Downstream(ctx context.Context, ref string, opts *LineageOptions) (*Graph, error) {
	return db.lineage(ctx, ref, Downstream, opts)
}

// seed is a node the walk starts from: t is 'm', 'x' or 'a'; ctx is the run
// that consumed it, used to pick an artifact's producer.
type seed struct {
	t   string
	id  int64
	ctx int64
}

func (db *DB) lineage(ctx context.Context, ref string, dir Direction, opts *LineageOptions) (*Graph, error) {
	g := &Graph{Direction: dir, Ref: ref}
	err := db.read(ctx, func(tx *sql.Tx) error {
		seeds, err := resolveRef(ctx, tx, ref)
		if err != nil {
			return err
		}
		rows, truncated, err := walk(ctx, tx, dir, seeds, opts.depth(), opts.edges())
		if err != nil {
			return err
		}
		g.Truncated = truncated
		return g.build(ctx, tx, seeds, rows)
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// resolveRef turns a lineage reference into the nodes to start from.
func resolveRef(ctx context.Context, q queryer, ref string) ([]seed, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, errors.New("registry: no reference given: name a model (NAME@VERSION, NAME@ALIAS), a digest or a file")
	}
	if strings.HasPrefix(ref, "sha256:") {
		id, err := resolveDigest(ctx, q, ref)
		if err != nil {
			return nil, err
		}
		return []seed{{t: "a", id: id}}, nil
	}
	var modelErr error
	if strings.Contains(ref, "@") {
		id, err := resolveModelVersion(ctx, q, ref)
		if err == nil {
			var run sql.NullInt64
			if err := q.QueryRowContext(ctx, `SELECT run_id FROM model_versions WHERE id = ?`, id).Scan(&run); err != nil {
				return nil, err
			}
			return []seed{{t: "m", id: id, ctx: run.Int64}}, nil
		}
		modelErr = err
	}
	ids, err := artifactsAtPath(ctx, q, ref)
	if err == nil {
		seeds := make([]seed, len(ids))
		for i, id := range ids {
			seeds[i] = seed{t: "a", id: id}
		}
		return seeds, nil
	}
	if !errors.Is(err, errNoPath) {
		return nil, err
	}
	if modelErr != nil {
		return nil, modelErr
	}
	if isHex(ref) {
		id, err := resolveDigest(ctx, q, ref)
		if err != nil {
			return nil, err
		}
		return []seed{{t: "a", id: id}}, nil
	}
	return nil, fmt.Errorf("registry: nothing in the registry matches %q: give a model (NAME@VERSION or NAME@ALIAS), a digest (sha256:...), or a file path as a run recorded it, relative to the pipeline folder (data/train.csv)", ref)
}

// walkRow is one edge found by the walk, as the walk found it: from the
// node it stood on (pt, pid) to the next node (t, id).
type walkRow struct {
	pt   string
	pid  int64
	t    string
	id   int64
	rel  string
	name string
}

// The walks are recursive CTEs over (pt, pid) -> (t, id) rows, where t is
// 'm' (model_versions.id), 'x' (executions.id) or 'a' (artifacts.id) and
// ctx is, for an artifact, the run of the execution that used it. UNION
// drops repeated rows, so a diamond is walked once per depth and the walk
// ends on any graph; depth bounds it.
//
// An artifact's producer upstream is one execution: the one in the
// consumer's run if any, else the first that ran, else the first.
const upstreamSQL = `WITH RECURSIVE walk(pt, pid, t, id, rel, name, ctx, depth) AS (
	SELECT NULL, NULL, json_extract(value, '$[0]'), json_extract(value, '$[1]'), NULL, NULL, json_extract(value, '$[2]'), 0
	FROM json_each(?1)
	UNION
	SELECT 'm', w.id, 'x', mv.execution_id, 'published', '', NULL, w.depth + 1
	FROM walk w JOIN model_versions mv ON mv.id = w.id
	WHERE w.t = 'm' AND mv.execution_id IS NOT NULL AND w.depth <= ?2
	UNION
	SELECT 'm', w.id, 'a', mv.model_artifact_id, 'version', 'model', mv.run_id, w.depth + 1
	FROM walk w JOIN model_versions mv ON mv.id = w.id
	WHERE w.t = 'm' AND mv.execution_id IS NULL AND w.depth <= ?2
	UNION
	SELECT 'm', w.id, 'a', mv.report_artifact_id, 'version', 'report', mv.run_id, w.depth + 1
	FROM walk w JOIN model_versions mv ON mv.id = w.id
	WHERE w.t = 'm' AND mv.execution_id IS NULL AND mv.report_artifact_id IS NOT NULL AND w.depth <= ?2
	UNION
	SELECT 'x', w.id, 'a', ev.artifact_id, 'used', ev.name, e.run_id, w.depth + 1
	FROM walk w JOIN executions e ON e.id = w.id JOIN events ev ON ev.execution_id = w.id AND ev.type = 'used'
	WHERE w.t = 'x' AND w.depth <= ?2
	UNION
	SELECT 'x', w.id, 'x', d.upstream_id, 'input', d.name, NULL, w.depth + 1
	FROM walk w JOIN execution_inputs d ON d.execution_id = w.id
	WHERE w.t = 'x' AND w.depth <= ?2
	UNION
	SELECT 'a', w.id, 'x', ev.execution_id, 'produced', ev.name, NULL, w.depth + 1
	FROM walk w, events ev
	WHERE w.t = 'a' AND w.depth <= ?2 AND ev.type = 'produced' AND ev.artifact_id = w.id
	  AND ev.execution_id = coalesce(
		(SELECT p.id FROM executions p JOIN events pe ON pe.execution_id = p.id AND pe.type = 'produced' AND pe.artifact_id = w.id
		 WHERE p.run_id = w.ctx ORDER BY p.id LIMIT 1),
		(SELECT pe.execution_id FROM events pe JOIN executions p ON p.id = pe.execution_id
		 WHERE pe.artifact_id = w.id AND pe.type = 'produced' AND p.status = 'ran' ORDER BY pe.execution_id LIMIT 1),
		(SELECT pe.execution_id FROM events pe
		 WHERE pe.artifact_id = w.id AND pe.type = 'produced' ORDER BY pe.execution_id LIMIT 1))
	LIMIT ?3
)
SELECT pt, pid, t, id, rel, name, min(depth) FROM walk WHERE pt IS NOT NULL GROUP BY pt, pid, t, id, rel, name`

const downstreamSQL = `WITH RECURSIVE walk(pt, pid, t, id, rel, name, depth) AS (
	SELECT NULL, NULL, json_extract(value, '$[0]'), json_extract(value, '$[1]'), NULL, NULL, 0
	FROM json_each(?1)
	UNION
	SELECT 'm', w.id, 'a', mv.model_artifact_id, 'artifact', '', w.depth + 1
	FROM walk w JOIN model_versions mv ON mv.id = w.id
	WHERE w.t = 'm' AND w.depth = 0
	UNION
	SELECT 'a', w.id, 'x', ev.execution_id, 'used', ev.name, w.depth + 1
	FROM walk w JOIN events ev ON ev.artifact_id = w.id AND ev.type = 'used'
	WHERE w.t = 'a' AND w.depth <= ?2
	UNION
	SELECT 'a', w.id, 'm', mv.id, 'version', CASE WHEN mv.model_artifact_id = w.id THEN 'model' ELSE 'report' END, w.depth + 1
	FROM walk w JOIN model_versions mv ON (mv.model_artifact_id = w.id OR mv.report_artifact_id = w.id)
	WHERE w.t = 'a' AND mv.execution_id IS NULL AND w.depth <= ?2
	UNION
	SELECT 'x', w.id, 'a', ev.artifact_id, 'produced', ev.name, w.depth + 1
	FROM walk w JOIN events ev ON ev.execution_id = w.id AND ev.type = 'produced'
	WHERE w.t = 'x' AND w.depth <= ?2
	UNION
	SELECT 'x', w.id, 'x', d.execution_id, 'input', d.name, w.depth + 1
	FROM walk w JOIN execution_inputs d ON d.upstream_id = w.id
	WHERE w.t = 'x' AND w.depth <= ?2
	UNION
	SELECT 'x', w.id, 'm', mv.id, 'published', '', w.depth + 1
	FROM walk w JOIN model_versions mv ON mv.execution_id = w.id
	WHERE w.t = 'x' AND w.depth <= ?2
	LIMIT ?3
)
SELECT pt, pid, t, id, rel, name, min(depth) FROM walk WHERE pt IS NOT NULL GROUP BY pt, pid, t, id, rel, name`

// walk runs the recursive query and returns the edges it found, and
// whether it stopped at a limit: the query walks one level past maxDepth
// so that an edge there tells that the graph goes on.
func walk(ctx context.Context, q queryer, dir Direction, seeds []seed, maxDepth, maxEdges int) ([]walkRow, bool, error) {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range seeds {
		if i > 0 {
			b.WriteByte(',')
		}
		if s.ctx != 0 {
			fmt.Fprintf(&b, `["%s",%d,%d]`, s.t, s.id, s.ctx)
		} else {
			fmt.Fprintf(&b, `["%s",%d,null]`, s.t, s.id)
		}
	}
	b.WriteByte(']')
	query := upstreamSQL
	if dir == Downstream {
		query = downstreamSQL
	}
	rows, err := q.QueryContext(ctx, query, b.String(), maxDepth, maxEdges+len(seeds)+1)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []walkRow
	truncated := false
	for rows.Next() {
		var r walkRow
		var depth int
		if err := rows.Scan(&r.pt, &r.pid, &r.t, &r.id, &r.rel, &r.name, &depth); err != nil {
			return nil, false, err
		}
		if depth > maxDepth {
			truncated = true
			continue
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if len(out) > maxEdges {
		truncated = true
		out = out[:maxEdges]
	}
	return out, truncated, nil
}

// build loads the nodes the walk reached and fills the graph.
func (g *Graph) build(ctx context.Context, q queryer, seeds []seed, rows []walkRow) error {
	ids := map[string]map[int64]bool{"m": {}, "x": {}, "a": {}}
	for _, s := range seeds {
		ids[s.t][s.id] = true
	}
	for _, r := range rows {
		ids[r.pt][r.pid] = true
		ids[r.t][r.id] = true
	}
	list := func(t string) []int64 {
		out := make([]int64, 0, len(ids[t]))
		for id := range ids[t] {
			out = append(out, id)
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out
	}
	nodeID := map[string]map[int64]string{"m": {}, "x": {}, "a": {}}
	runIDs := map[int64]bool{}

	// Model versions.
	mids := list("m")
	if len(mids) > 0 {
		order, vs, err := versionsWhere(ctx, q, `mv.id IN (SELECT value FROM json_each(?))`, jsonIDs(mids))
		if err != nil {
			return err
		}
		for _, id := range order {
			v := vs[id]
			n := Node{ID: "model:" + v.String(), Type: NodeModelVersion, ModelVersion: v}
			nodeID["m"][id] = n.ID
			g.Nodes = append(g.Nodes, n)
			if v.RunID != 0 {
				runIDs[v.RunID] = true
			}
		}
	}

	// Executions.
	xids := list("x")
	if len(xids) > 0 {
		execs, err := executionNodes(ctx, q, xids)
		if err != nil {
			return err
		}
		for _, e := range execs {
			n := Node{ID: "execution:" + strconv.FormatInt(e.ID, 10), Type: NodeExecution, Execution: e}
			nodeID["x"][e.ID] = n.ID
			g.Nodes = append(g.Nodes, n)
			runIDs[e.RunID] = true
			if e.CachedFromRun != 0 {
				runIDs[e.CachedFromRun] = true
			}
		}
	}

	// Artifacts, in digest order.
	aids := list("a")
	if len(aids) > 0 {
		arts, err := getArtifacts(ctx, q, aids)
		if err != nil {
			return err
		}
		var as []ArtifactInfo
		for _, a := range arts {
			as = append(as, a)
		}
		sort.Slice(as, func(i, j int) bool { return as[i].Digest < as[j].Digest })
		for i := range as {
			a := as[i]
			n := Node{ID: "artifact:" + a.Digest, Type: NodeArtifact, Artifact: &a}
			nodeID["a"][a.ID] = n.ID
			g.Nodes = append(g.Nodes, n)
		}
	}

	// Runs.
	var rids []int64
	for id := range runIDs {
		rids = append(rids, id)
	}
	sort.Slice(rids, func(i, j int) bool { return rids[i] < rids[j] })
	runs, err := getRuns(ctx, q, rids)
	if err != nil {
		return err
	}
	for _, id := range rids {
		r, ok := runs[id]
		if !ok {
			continue
		}
		g.Nodes = append(g.Nodes, Node{ID: "run:" + strconv.FormatInt(id, 10), Type: NodeRun, Run: &r})
	}

	g.index = make(map[string]int, len(g.Nodes))
	for i, n := range g.Nodes {
		g.index[n.ID] = i
	}
	for _, s := range seeds {
		g.Roots = append(g.Roots, nodeID[s.t][s.id])
	}
	sort.Slice(g.Roots, func(i, j int) bool { return g.index[g.Roots[i]] < g.index[g.Roots[j]] })

	seen := map[Edge]bool{}
	for _, r := range rows {
		e := Edge{From: nodeID[r.pt][r.pid], To: nodeID[r.t][r.id], Type: EdgeType(r.rel), Name: r.name}
		if g.Direction == Upstream {
			e.From, e.To = e.To, e.From
		}
		if e.From == "" || e.To == "" || seen[e] {
			continue
		}
		seen[e] = true
		g.Edges = append(g.Edges, e)
	}
	sort.Slice(g.Edges, func(i, j int) bool {
		a, b := g.Edges[i], g.Edges[j]
		if ia, ib := g.index[a.From], g.index[b.From]; ia != ib {
			return ia < ib
		}
		if ia, ib := g.index[a.To], g.index[b.To]; ia != ib {
			return ia < ib
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.Name < b.Name
	})
	if g.Edges == nil {
		g.Edges = []Edge{}
	}
	return nil
}

// executionNodes loads executions without their events (the graph's edges
// carry those), with, for cached ones, the execution they were cached from.
func executionNodes(ctx context.Context, q queryer, ids []int64) ([]*ExecutionNode, error) {
	set := jsonIDs(ids)
	rows, err := q.QueryContext(ctx, `SELECT `+executionColumns+` FROM executions WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`, set)
	if err != nil {
		return nil, err
	}
	var out []*ExecutionNode
	index := map[int64]*ExecutionNode{}
	for rows.Next() {
		e, err := scanExecution(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		n := &ExecutionNode{Execution: e}
		index[e.ID] = n
		out = append(out, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT c.id, o.id, o.run_id FROM executions c
		JOIN executions o ON o.id = (SELECT f.id FROM executions f WHERE f.cache_key = c.cache_key AND f.status = 'ran' ORDER BY f.id LIMIT 1)
		WHERE c.id IN (SELECT value FROM json_each(?)) AND c.status = 'cached' AND c.cache_key IS NOT NULL`, set)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, from, run int64
		if err := rows.Scan(&id, &from, &run); err != nil {
			return nil, err
		}
		index[id].CachedFrom, index[id].CachedFromRun = from, run
	}
	return out, rows.Err()
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
