package lineage

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"

	"github.com/pipe-ml/pipe/engine/registry/index"
	"github.com/pipe-ml/pipe/engine/registry/models"
)

// builder loads the nodes a walk reached and the edges between them.
type builder struct {
	g      *Graph
	q      index.Querier
	nodeID map[nodeKey]string
	runIDs map[int64]bool
	edges  []Edge
	// artByDigest holds the digests of the artifact nodes.
	artByDigest map[string]bool
}

// build loads the nodes the walk reached and the edges between them, and
// prunes what lies deeper than maxDepth.
func (g *Graph) build(ctx context.Context, q index.Querier, seeds []seed, keys []nodeKey, maxDepth int) error {
	ids := map[byte]map[int64]bool{'m': {}, 'x': {}, 'a': {}}
	for _, s := range seeds {
		ids[s.t[0]][s.id] = true
	}
	for _, k := range keys {
		ids[k.t][k.id] = true
	}
	b := &builder{g: g, q: q, nodeID: map[nodeKey]string{}, runIDs: map[int64]bool{}, artByDigest: map[string]bool{}}
	// Artifacts first: model versions name theirs by digest.
	artNodes, err := b.artifacts(ctx, sortedIDs(ids['a']))
	if err != nil {
		return err
	}
	execNodes, err := b.executions(ctx, sortedIDs(ids['x']))
	if err != nil {
		return err
	}
	nodes, err := b.versions(ctx, sortedIDs(ids['m']), seeds)
	if err != nil {
		return err
	}
	nodes = append(append(nodes, execNodes...), artNodes...)
	if err := b.eventEdges(ctx, sortedIDs(ids['x'])); err != nil {
		return err
	}
	runNodes, err := b.runs(ctx)
	if err != nil {
		return err
	}
	var roots []string
	for _, s := range seeds {
		if id, ok := b.nodeID[nodeKey{s.t[0], s.id}]; ok {
			roots = append(roots, id)
		}
	}
	g.setNodes(append(nodes, runNodes...), b.edges, roots, maxDepth)
	return nil
}

func sortedIDs(set map[int64]bool) []int64 {
	out := make([]int64, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// artifacts makes the artifact nodes, sorted by ID.
func (b *builder) artifacts(ctx context.Context, ids []int64) ([]Node, error) {
	arts, err := index.ArtifactsByID(ctx, b.q, ids)
	if err != nil {
		return nil, err
	}
	var out []Node
	for _, id := range ids {
		a, ok := arts[id]
		if !ok {
			continue
		}
		n := Node{ID: "artifact:" + a.Digest, Type: NodeArtifact, Artifact: &a}
		b.nodeID[nodeKey{'a', id}] = n.ID
		b.artByDigest[a.Digest] = true
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// executions makes the execution nodes, in ID order.
func (b *builder) executions(ctx context.Context, ids []int64) ([]Node, error) {
	execs, err := executionNodes(ctx, b.q, ids)
	if err != nil {
		return nil, err
	}
	var out []Node
	for _, e := range execs {
		n := Node{ID: "execution:" + strconv.FormatInt(e.ID, 10), Type: NodeExecution, Execution: e}
		b.nodeID[nodeKey{'x', e.ID}] = n.ID
		out = append(out, n)
		b.runIDs[e.RunID] = true
		if e.CachedFromRun != 0 {
			b.runIDs[e.CachedFromRun] = true
		}
	}
	return out, nil
}

// versions makes the model version nodes and the edges that reach them.
func (b *builder) versions(ctx context.Context, ids []int64, seeds []seed) ([]Node, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	order, vs, err := models.VersionsWhere(ctx, b.q, `mv.id IN (SELECT value FROM json_each(?))`, index.JSONIDs(ids))
	if err != nil {
		return nil, err
	}
	roots := map[int64]bool{}
	for _, s := range seeds {
		if s.t == "m" {
			roots[s.id] = true
		}
	}
	var out []Node
	for _, id := range order {
		v := vs[id]
		n := Node{ID: "model:" + v.String(), Type: NodeModelVersion, ModelVersion: v}
		b.nodeID[nodeKey{'m', id}] = n.ID
		out = append(out, n)
		if v.RunID != 0 {
			b.runIDs[v.RunID] = true
		}
		b.versionEdges(n.ID, v, b.g.Direction == Downstream && roots[id])
	}
	return out, nil
}

// versionEdges adds the edges of one version: from its publish execution
// when known, else from its model and report artifacts; at the root of a
// downstream graph, to its model artifact.
func (b *builder) versionEdges(id string, v *models.ModelVersion, downstreamRoot bool) {
	model, report := "artifact:"+v.ModelDigest, "artifact:"+v.ReportDigest
	if downstreamRoot {
		b.edges = append(b.edges, Edge{From: id, To: model, Type: EdgeArtifact})
	}
	if v.ExecutionID != 0 {
		if x, ok := b.nodeID[nodeKey{'x', v.ExecutionID}]; ok {
			b.edges = append(b.edges, Edge{From: x, To: id, Type: EdgePublished})
		}
		return
	}
	for _, e := range []struct{ node, name, digest string }{{model, "model", v.ModelDigest}, {report, "report", v.ReportDigest}} {
		if e.digest != "" && b.artByDigest[e.digest] {
			b.edges = append(b.edges, Edge{From: e.node, To: id, Type: EdgeVersion, Name: e.name})
		}
	}
}

// eventEdges adds the used, produced and input edges between the nodes.
func (b *builder) eventEdges(ctx context.Context, xids []int64) error {
	if len(xids) == 0 {
		return nil
	}
	xset := index.JSONIDs(xids)
	// CROSS JOIN keeps json_each outside, so that each execution's
	// events are one index range; the artifact side is checked here.
	// (With "AND artifact_id IN (...)" SQLite may probe every pair.)
	rows, err := b.q.QueryContext(ctx, `SELECT ev.execution_id, ev.type, ev.artifact_id, ev.name
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
		xn, an := b.nodeID[nodeKey{'x', x}], b.nodeID[nodeKey{'a', a}]
		switch {
		case an == "":
		case typ == "used":
			b.edges = append(b.edges, Edge{From: an, To: xn, Type: EdgeUsed, Name: name})
		default:
			b.edges = append(b.edges, Edge{From: xn, To: an, Type: EdgeProduced, Name: name})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return b.inputEdges(ctx, xset)
}

func (b *builder) inputEdges(ctx context.Context, xset string) error {
	rows, err := b.q.QueryContext(ctx, `SELECT d.upstream_id, d.execution_id, d.name
		FROM json_each(?1) j CROSS JOIN execution_inputs d ON d.execution_id = j.value`, xset)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var from, to int64
		var name string
		if err := rows.Scan(&from, &to, &name); err != nil {
			return err
		}
		if f := b.nodeID[nodeKey{'x', from}]; f != "" {
			b.edges = append(b.edges, Edge{From: f, To: b.nodeID[nodeKey{'x', to}], Type: EdgeInput, Name: name})
		}
	}
	return rows.Err()
}

// runs makes the nodes of the runs the executions and versions name.
func (b *builder) runs(ctx context.Context) ([]Node, error) {
	rids := sortedIDs(b.runIDs)
	runs, err := index.RunsByID(ctx, b.q, rids)
	if err != nil {
		return nil, err
	}
	var out []Node
	for _, id := range rids {
		if r, ok := runs[id]; ok {
			out = append(out, Node{ID: "run:" + strconv.FormatInt(id, 10), Type: NodeRun, Run: &r})
		}
	}
	return out, nil
}

// setNodes fills the graph: it drops nodes deeper than maxDepth from the
// roots (and the runs no execution left names), indexes and sorts.
func (g *Graph) setNodes(nodes []Node, edges []Edge, roots []string, maxDepth int) {
	depth := g.depths(edges, roots)
	usedRuns := map[int64]bool{}
	var kept []Node
	for _, n := range nodes {
		switch d, reached := depth[n.ID]; {
		case n.Type == NodeRun:
			continue
		case !reached || d > maxDepth:
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
	g.Edges = g.placeEdges(edges)
}

// depths returns how many edges each node is from the nearest root,
// walking the way the query went.
func (g *Graph) depths(edges []Edge, roots []string) map[string]int {
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
	return depth
}

// placeEdges keeps the edges between kept nodes, sorted by their nodes'
// positions. Edges come from primary keys, so none repeats.
func (g *Graph) placeEdges(edges []Edge) []Edge {
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
	out := make([]Edge, len(ps))
	for i, p := range ps {
		out[i] = p.e
	}
	return out
}

// executionNodes loads executions without their events (the graph's edges
// carry those), with, for cached ones, the execution they were cached from.
func executionNodes(ctx context.Context, q index.Querier, ids []int64) ([]*ExecutionNode, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+index.ExecutionColumns+` FROM executions WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`, index.JSONIDs(ids))
	if err != nil {
		return nil, err
	}
	var out []*ExecutionNode
	for rows.Next() {
		e, err := index.ScanExecution(rows)
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
	return out, cachedFrom(ctx, q, out)
}

// cachedFrom sets, for each cached execution, the first execution with
// the same cache key that ran. One look-up per distinct key, not per
// execution.
func cachedFrom(ctx context.Context, q index.Querier, execs []*ExecutionNode) error {
	keySet := map[string]bool{}
	for _, n := range execs {
		if n.Status == index.ExecCached && n.CacheKey != "" {
			keySet[n.CacheKey] = true
		}
	}
	if len(keySet) == 0 {
		return nil
	}
	keys := make([]string, 0, len(keySet))
	for k := range keySet {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	set, _ := json.Marshal(keys)
	rows, err := q.QueryContext(ctx, `SELECT j.value, o.id, o.run_id FROM json_each(?) j
		CROSS JOIN executions o ON o.id = (SELECT f.id FROM executions f WHERE f.cache_key = j.value AND f.status = 'ran' ORDER BY f.id LIMIT 1)`,
		string(set))
	if err != nil {
		return err
	}
	defer rows.Close()
	type origin struct{ id, run int64 }
	from := map[string]origin{}
	for rows.Next() {
		var key string
		var o origin
		if err := rows.Scan(&key, &o.id, &o.run); err != nil {
			return err
		}
		from[key] = o
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range execs {
		if o, ok := from[n.CacheKey]; ok && n.Status == index.ExecCached {
			n.CachedFrom, n.CachedFromRun = o.id, o.run
		}
	}
	return nil
}
