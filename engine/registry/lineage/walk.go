package lineage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/pipe-ml/pipe/engine/registry/index"
	"github.com/pipe-ml/pipe/engine/registry/models"
)

// Query walks from ref in the given direction and returns the graph.
//
// Upstream, it returns what produced ref: for a model version, the publish
// execution, the model and report artifacts, the train execution with its
// configuration, the search execution whose params it used (its outputs
// hold the chosen params) with the trials table it produced, the datasets,
// the load execution and the input files with their digests, and the runs
// with their Git commits. Every artifact an execution on the way produced
// is in the graph, not only the ones a later execution used. For an
// artifact produced by several executions (the same bytes made again, or
// taken from the cache), the walk prefers the producer in the same run as
// the consumer, then the first that ran.
//
// Downstream, it returns everything built from ref: every execution, in
// any run, that used it, what they produced, the model versions published
// from it, and so on. A file path stands for every digest ever recorded
// at that path.
//
// ref is NAME@VERSION, NAME@ALIAS, NAME@latest, a digest (sha256:...; a
// unique prefix of at least 12 hex digits will do), or a file path as
// recorded, relative to the pipeline folder.
func Query(ctx context.Context, q index.Querier, dir Direction, ref string, opts *Options) (*Graph, error) {
	g := &Graph{Direction: dir, Ref: ref}
	seeds, err := resolveRef(ctx, q, ref)
	if err != nil {
		return nil, err
	}
	keys, truncated, err := walk(ctx, q, dir, seeds, opts.nodes())
	if err != nil {
		return nil, err
	}
	g.Truncated = truncated
	if err := g.build(ctx, q, seeds, keys, opts.depth()); err != nil {
		return nil, err
	}
	return g, nil
}

// seed is a node the walk starts from: t is 'm', 'x' or 'a'; ctx is the run
// that consumed it, used to pick an artifact's producer.
type seed struct {
	t   string
	id  int64
	ctx int64
}

// resolveRef turns a lineage reference into the nodes to start from.
func resolveRef(ctx context.Context, q index.Querier, ref string) ([]seed, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, errors.New("lineage: no reference given: name a model (NAME@VERSION, NAME@ALIAS), a digest or a file")
	}
	if strings.HasPrefix(ref, "sha256:") {
		id, err := index.ResolveDigest(ctx, q, ref)
		if err != nil {
			return nil, err
		}
		return []seed{{t: "a", id: id}}, nil
	}
	var modelErr error
	if strings.Contains(ref, "@") {
		id, err := models.ResolveID(ctx, q, ref)
		if err == nil {
			var run sql.NullInt64
			if err := q.QueryRowContext(ctx, `SELECT run_id FROM model_versions WHERE id = ?`, id).Scan(&run); err != nil {
				return nil, err
			}
			return []seed{{t: "m", id: id, ctx: run.Int64}}, nil
		}
		modelErr = err
	}
	ids, err := index.ArtifactsAtPath(ctx, q, ref)
	if err == nil {
		seeds := make([]seed, len(ids))
		for i, id := range ids {
			seeds[i] = seed{t: "a", id: id}
		}
		return seeds, nil
	}
	if !errors.Is(err, index.ErrNoPath) {
		return nil, err
	}
	if modelErr != nil {
		return nil, modelErr
	}
	if index.IsHex(ref) {
		id, err := index.ResolveDigest(ctx, q, ref)
		if err != nil {
			return nil, err
		}
		return []seed{{t: "a", id: id}}, nil
	}
	return nil, fmt.Errorf("lineage: nothing in the registry matches %q: give a model (NAME@VERSION or NAME@ALIAS), a digest (sha256:...), or a file path as a run recorded it, relative to the pipeline folder (data/train.csv)", ref)
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
func walk(ctx context.Context, q index.Querier, dir Direction, seeds []seed, maxNodes int) ([]nodeKey, bool, error) {
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
