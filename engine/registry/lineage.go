package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
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
	// MaxDepth keeps nodes at most this many edges from a root; 0 means
	// no limit.
	MaxDepth int
	// MaxNodes stops the walk once it has found this many model
	// versions, executions and artifacts; 0 means 100000.
	MaxNodes int
}

func (o *LineageOptions) depth() int {
	if o == nil || o.MaxDepth <= 0 {
		return math.MaxInt
	}
	return o.MaxDepth
}

func (o *LineageOptions) nodes() int {
	if o == nil || o.MaxNodes <= 0 {
		return 100000
	}
	return o.MaxNodes
}

// Upstream returns what produced ref: for a model version, the publish
// execution, the model and report artifacts, the train execution with its
// configuration, the search execution whose params it used (its outputs
// hold the chosen params) with the trials table it produced, the datasets,
// the load execution and the input files with their digests, and the runs
// with their Git commits. Every artifact an execution on the way produced
// is in the graph, not only the ones a later execution used. For an artifact produced by several executions
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
	err := db.read(ctx, func(tx queryer) error {
		seeds, err := resolveRef(ctx, tx, ref)
		if err != nil {
			return err
		}
		keys, truncated, err := walk(ctx, tx, dir, seeds, opts.nodes())
		if err != nil {
			return err
		}
		g.Truncated = truncated
		return g.build(ctx, tx, seeds, keys, opts.depth())
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

// The walks are recursive CTEs over (t, id) rows, t being 'm'
// (model_versions.id), 'x' (executions.id) or 'a' (artifacts.id). UNION
// drops repeated rows, so every node is expanded once and the walk ends on
// any graph; LIMIT bounds its size. The edges between the nodes found are
// read afterwards, in one query per table.
//
// likelihood(w.t = ..., 1e-6) tells the planner that the queue holds few
// rows per step, which is true. Without it, once ANALYZE has run, SQLite
// builds a Bloom filter over events for each query, a full scan of the
// table that made a lineage query ten times slower.
//
// Upstream, an execution leads to every artifact it used ('a') and every
// artifact it produced ('p'): what made a model includes the other outputs
// of the executions that made it (the search's trials beside its chosen
// params, the test split beside the train split). A 'p' row is a leaf: its
// producer is the execution it came from, and looking the producer up
// again could lead to another execution that happened to make the same
// bytes. An 'a' row carries ctx, the run of the execution that used it, to
// pick one producer: the one in that run if any (a cached step re-produces
// what it once made), else the first that ran, else the first.
const upstreamSQL = `WITH RECURSIVE walk(t, id, ctx) AS (
	SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]')
	FROM json_each(?1)
	UNION
	SELECT 'x', mv.execution_id, NULL
	FROM walk w JOIN model_versions mv ON mv.id = w.id
	WHERE likelihood(w.t = 'm', 0.000001) AND mv.execution_id IS NOT NULL
	UNION
	SELECT 'a', mv.model_artifact_id, mv.run_id
	FROM walk w JOIN model_versions mv ON mv.id = w.id
	WHERE likelihood(w.t = 'm', 0.000001) AND mv.execution_id IS NULL
	UNION
	SELECT 'a', mv.report_artifact_id, mv.run_id
	FROM walk w JOIN model_versions mv ON mv.id = w.id
	WHERE likelihood(w.t = 'm', 0.000001) AND mv.execution_id IS NULL AND mv.report_artifact_id IS NOT NULL
	UNION
	SELECT CASE ev.type WHEN 'used' THEN 'a' ELSE 'p' END, ev.artifact_id, e.run_id
	FROM walk w JOIN executions e ON e.id = w.id JOIN events ev ON ev.execution_id = e.id
	WHERE likelihood(w.t = 'x', 0.000001)
	UNION
	SELECT 'x', d.upstream_id, NULL
	FROM walk w JOIN execution_inputs d ON d.execution_id = w.id
	WHERE likelihood(w.t = 'x', 0.000001)
	UNION
	SELECT 'x', p.id, NULL
	FROM walk w JOIN executions p ON p.id = coalesce(
		(SELECT e.id FROM executions e JOIN events pe ON pe.execution_id = e.id AND pe.type = 'produced' AND pe.artifact_id = w.id
		 WHERE e.run_id = w.ctx ORDER BY e.id LIMIT 1),
		(SELECT pe.execution_id FROM events pe JOIN executions e ON e.id = pe.execution_id
		 WHERE pe.artifact_id = w.id AND pe.type = 'produced' AND e.status = 'ran' ORDER BY pe.execution_id LIMIT 1),
		(SELECT pe.execution_id FROM events pe
		 WHERE pe.artifact_id = w.id AND pe.type = 'produced' ORDER BY pe.execution_id LIMIT 1))
	WHERE likelihood(w.t = 'a', 0.000001)
	LIMIT ?2
)
SELECT DISTINCT CASE t WHEN 'p' THEN 'a' ELSE t END, id FROM walk`

// Downstream, root is 1 for the seeds: a model version at the root walks
// on through its model artifact (not one reached on the way: that would
// lead back up).
const downstreamSQL = `WITH RECURSIVE walk(t, id, root) AS (
	SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), 1
	FROM json_each(?1)
	UNION
	SELECT 'a', mv.model_artifact_id, 0
	FROM walk w JOIN model_versions mv ON mv.id = w.id
	WHERE likelihood(w.t = 'm', 0.000001) AND w.root = 1
	UNION
	SELECT 'x', ev.execution_id, 0
	FROM walk w JOIN events ev ON ev.artifact_id = w.id AND ev.type = 'used'
	WHERE likelihood(w.t = 'a', 0.000001)
	UNION
	SELECT 'm', mv.id, 0
	FROM walk w JOIN model_versions mv ON mv.execution_id IS NULL AND (mv.model_artifact_id = w.id OR mv.report_artifact_id = w.id)
	WHERE likelihood(w.t = 'a', 0.000001)
	UNION
	SELECT 'a', ev.artifact_id, 0
	FROM walk w JOIN events ev ON ev.execution_id = w.id AND ev.type = 'produced'
	WHERE likelihood(w.t = 'x', 0.000001)
	UNION
	SELECT 'x', d.execution_id, 0
	FROM walk w JOIN execution_inputs d ON d.upstream_id = w.id
	WHERE likelihood(w.t = 'x', 0.000001)
	UNION
	SELECT 'm', mv.id, 0
	FROM walk w JOIN model_versions mv ON mv.execution_id = w.id
	WHERE likelihood(w.t = 'x', 0.000001)
	LIMIT ?2
)
SELECT DISTINCT t, id FROM walk`

// nodeKey is a node as the walk knows it.
type nodeKey struct {
	t  byte // 'm', 'x' or 'a'
	id int64
}

// walk runs the recursive query and returns the nodes it reached, and
// whether it stopped at maxNodes.
func walk(ctx context.Context, q queryer, dir Direction, seeds []seed, maxNodes int) ([]nodeKey, bool, error) {
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
	// Rows may repeat a node (an artifact reached from two runs): ask for
	// twice the limit, and cut on distinct nodes.
	rows, err := q.QueryContext(ctx, query, b.String(), 2*maxNodes+len(seeds)+1)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []nodeKey
	for rows.Next() {
		var t string
		var id int64
		if err := rows.Scan(&t, &id); err != nil {
			return nil, false, err
		}
		out = append(out, nodeKey{t: t[0], id: id})
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if len(out) > maxNodes {
		return out[:maxNodes], true, nil
	}
	return out, false, nil
}

// build loads the nodes the walk reached and the edges between them, and
// prunes what lies deeper than maxDepth.
func (g *Graph) build(ctx context.Context, q queryer, seeds []seed, keys []nodeKey, maxDepth int) error {
	ids := map[byte]map[int64]bool{'m': {}, 'x': {}, 'a': {}}
	for _, s := range seeds {
		ids[s.t[0]][s.id] = true
	}
	for _, k := range keys {
		ids[k.t][k.id] = true
	}
	list := func(t byte) []int64 {
		out := make([]int64, 0, len(ids[t]))
		for id := range ids[t] {
			out = append(out, id)
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out
	}
	mids, xids, aids := list('m'), list('x'), list('a')
	nodeID := map[nodeKey]string{}
	var nodes []Node
	var edges []Edge
	runIDs := map[int64]bool{}

	// Artifacts first: model versions name theirs by digest.
	arts, err := getArtifacts(ctx, q, aids)
	if err != nil {
		return err
	}
	artByDigest := map[string]bool{}
	var artNodes []Node
	for _, id := range aids {
		a, ok := arts[id]
		if !ok {
			continue
		}
		n := Node{ID: "artifact:" + a.Digest, Type: NodeArtifact, Artifact: &a}
		nodeID[nodeKey{'a', id}] = n.ID
		artByDigest[a.Digest] = true
		artNodes = append(artNodes, n)
	}
	sort.Slice(artNodes, func(i, j int) bool { return artNodes[i].ID < artNodes[j].ID })

	execs, err := executionNodes(ctx, q, xids)
	if err != nil {
		return err
	}
	var execNodes []Node
	for _, e := range execs {
		n := Node{ID: "execution:" + strconv.FormatInt(e.ID, 10), Type: NodeExecution, Execution: e}
		nodeID[nodeKey{'x', e.ID}] = n.ID
		execNodes = append(execNodes, n)
		runIDs[e.RunID] = true
		if e.CachedFromRun != 0 {
			runIDs[e.CachedFromRun] = true
		}
	}

	if len(mids) > 0 {
		order, vs, err := versionsWhere(ctx, q, `mv.id IN (SELECT value FROM json_each(?))`, jsonIDs(mids))
		if err != nil {
			return err
		}
		roots := map[int64]bool{}
		for _, s := range seeds {
			if s.t == "m" {
				roots[s.id] = true
			}
		}
		for _, id := range order {
			v := vs[id]
			n := Node{ID: "model:" + v.String(), Type: NodeModelVersion, ModelVersion: v}
			nodeID[nodeKey{'m', id}] = n.ID
			nodes = append(nodes, n)
			if v.RunID != 0 {
				runIDs[v.RunID] = true
			}
			model, report := "artifact:"+v.ModelDigest, "artifact:"+v.ReportDigest
			if g.Direction == Downstream && roots[id] {
				edges = append(edges, Edge{From: n.ID, To: model, Type: EdgeArtifact})
			}
			switch {
			case v.ExecutionID != 0:
				if x, ok := nodeID[nodeKey{'x', v.ExecutionID}]; ok {
					edges = append(edges, Edge{From: x, To: n.ID, Type: EdgePublished})
				}
			default:
				if artByDigest[v.ModelDigest] {
					edges = append(edges, Edge{From: model, To: n.ID, Type: EdgeVersion, Name: "model"})
				}
				if v.ReportDigest != "" && artByDigest[v.ReportDigest] {
					edges = append(edges, Edge{From: report, To: n.ID, Type: EdgeVersion, Name: "report"})
				}
			}
		}
	}
	nodes = append(nodes, execNodes...)
	nodes = append(nodes, artNodes...)

	// Events and inputs between the nodes found.
	if len(xids) > 0 {
		xset := jsonIDs(xids)
		// CROSS JOIN keeps json_each outside, so that each execution's
		// events are one index range; the artifact side is checked here.
		// (With "AND artifact_id IN (...)" SQLite may probe every pair.)
		rows, err := q.QueryContext(ctx, `SELECT ev.execution_id, ev.type, ev.artifact_id, ev.name
			FROM json_each(?1) j CROSS JOIN events ev ON ev.execution_id = j.value`, xset)
		if err != nil {
			return err
		}
		for rows.Next() {
			var x, a int64
			var typ, name string
			if err := rows.Scan(&x, &typ, &a, &name); err != nil {
				rows.Close()
				return err
			}
			xn, an := nodeID[nodeKey{'x', x}], nodeID[nodeKey{'a', a}]
			if an == "" {
				continue
			}
			if typ == "used" {
				edges = append(edges, Edge{From: an, To: xn, Type: EdgeUsed, Name: name})
			} else {
				edges = append(edges, Edge{From: xn, To: an, Type: EdgeProduced, Name: name})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = q.QueryContext(ctx, `SELECT d.upstream_id, d.execution_id, d.name
			FROM json_each(?1) j CROSS JOIN execution_inputs d ON d.execution_id = j.value`, xset)
		if err != nil {
			return err
		}
		for rows.Next() {
			var from, to int64
			var name string
			if err := rows.Scan(&from, &to, &name); err != nil {
				rows.Close()
				return err
			}
			if f := nodeID[nodeKey{'x', from}]; f != "" {
				edges = append(edges, Edge{From: f, To: nodeID[nodeKey{'x', to}], Type: EdgeInput, Name: name})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
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
		if r, ok := runs[id]; ok {
			nodes = append(nodes, Node{ID: "run:" + strconv.FormatInt(id, 10), Type: NodeRun, Run: &r})
		}
	}

	var roots []string
	for _, s := range seeds {
		if id, ok := nodeID[nodeKey{s.t[0], s.id}]; ok {
			roots = append(roots, id)
		}
	}
	g.setNodes(nodes, edges, roots, maxDepth)
	return nil
}

// setNodes fills the graph: it drops nodes deeper than maxDepth from the
// roots (and the runs no execution left names), indexes and sorts.
func (g *Graph) setNodes(nodes []Node, edges []Edge, roots []string, maxDepth int) {
	next := map[string][]string{}
	for _, e := range edges {
		if g.Direction == Upstream {
			next[e.To] = append(next[e.To], e.From)
			// An execution's other outputs are one step beyond it.
			if e.Type == EdgeProduced {
				next[e.From] = append(next[e.From], e.To)
			}
		} else {
			next[e.From] = append(next[e.From], e.To)
		}
	}
	depth := map[string]int{}
	queue := append([]string(nil), roots...)
	for _, r := range roots {
		depth[r] = 0
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, m := range next[n] {
			if _, ok := depth[m]; !ok {
				depth[m] = depth[n] + 1
				queue = append(queue, m)
			}
		}
	}
	keep := func(id string) bool {
		d, ok := depth[id]
		return ok && d <= maxDepth
	}
	usedRuns := map[int64]bool{}
	var kept []Node
	for _, n := range nodes {
		switch {
		case n.Type == NodeRun:
			continue
		case !keep(n.ID):
			g.Truncated = true
			continue
		case n.Type == NodeExecution:
			usedRuns[n.Execution.RunID] = true
			usedRuns[n.Execution.CachedFromRun] = true
		case n.Type == NodeModelVersion:
			usedRuns[n.ModelVersion.RunID] = true
		}
		kept = append(kept, n)
	}
	for _, n := range nodes {
		if n.Type == NodeRun && usedRuns[n.Run.ID] {
			kept = append(kept, n)
		}
	}
	g.Nodes = kept
	g.index = make(map[string]int, len(kept))
	for i, n := range kept {
		g.index[n.ID] = i
	}
	g.Roots = roots
	sort.Slice(g.Roots, func(i, j int) bool { return g.index[g.Roots[i]] < g.index[g.Roots[j]] })
	// Edges come from primary keys, so none repeats; sort them by their
	// nodes' positions.
	type placed struct {
		from, to int
		e        Edge
	}
	ps := make([]placed, 0, len(edges))
	for _, e := range edges {
		from, okFrom := g.index[e.From]
		to, okTo := g.index[e.To]
		if okFrom && okTo {
			ps = append(ps, placed{from, to, e})
		}
	}
	sort.Slice(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.from != b.from {
			return a.from < b.from
		}
		if a.to != b.to {
			return a.to < b.to
		}
		if a.e.Type != b.e.Type {
			return a.e.Type < b.e.Type
		}
		return a.e.Name < b.e.Name
	})
	g.Edges = make([]Edge, len(ps))
	for i, p := range ps {
		g.Edges[i] = p.e
	}
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
	for rows.Next() {
		e, err := scanExecution(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, &ExecutionNode{Execution: e})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Where the cached ones came from: the first execution with the same
	// cache key that ran. One look-up per distinct key, not per execution.
	keySet := map[string]bool{}
	for _, n := range out {
		if n.Status == ExecCached && n.CacheKey != "" {
			keySet[n.CacheKey] = true
		}
	}
	if len(keySet) == 0 {
		return out, nil
	}
	keys, _ := json.Marshal(sortedKeys(keySet))
	rows, err = q.QueryContext(ctx, `SELECT j.value, o.id, o.run_id FROM json_each(?) j
		CROSS JOIN executions o ON o.id = (SELECT f.id FROM executions f WHERE f.cache_key = j.value AND f.status = 'ran' ORDER BY f.id LIMIT 1)`,
		string(keys))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type origin struct{ id, run int64 }
	from := map[string]origin{}
	for rows.Next() {
		var key string
		var o origin
		if err := rows.Scan(&key, &o.id, &o.run); err != nil {
			return nil, err
		}
		from[key] = o
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, n := range out {
		if o, ok := from[n.CacheKey]; ok && n.Status == ExecCached {
			n.CachedFrom, n.CachedFromRun = o.id, o.run
		}
	}
	return out, nil
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
