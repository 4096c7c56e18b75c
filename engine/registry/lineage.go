package registry

import (
	"context"

	"github.com/pipe-ml/pipe/engine/registry/index"
	"github.com/pipe-ml/pipe/engine/registry/lineage"
)

// Upstream returns what produced ref; see lineage.Query for what the
// graph holds and the forms ref takes.
func (db *DB) Upstream(ctx context.Context, ref string, opts *LineageOptions) (*Graph, error) {
	return db.lineage(ctx, lineage.Upstream, ref, opts)
}

// Downstream returns everything built from ref; see lineage.Query.
func (db *DB) Downstream(ctx context.Context, ref string, opts *LineageOptions) (*Graph, error) {
	return db.lineage(ctx, lineage.Downstream, ref, opts)
}

func (db *DB) lineage(ctx context.Context, dir lineage.Direction, ref string, opts *LineageOptions) (*Graph, error) {
	var g *Graph
	err := db.read(ctx, func(q index.Querier) (err error) {
		g, err = lineage.Query(ctx, q, dir, ref, opts)
		return err
	})
	return g, err
}
