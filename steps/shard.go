package steps

import (
	"context"

	"github.com/zclconf/go-cty/cty"
)

// Sharder is implemented by kinds whose work splits into shards that can
// run apart, in one process one after the other or on many machines at
// once, and whose partial results assemble into exactly the outputs Run
// returns (search: its fits, fold by path). The engine runs a step as
// shards when its resources block asks for them (shards = N); it keeps
// each shard's partial result as its own cache entry, so that a retried
// or resumed step runs only the shards whose results are missing, and
// assembles once every one is there.
type Sharder interface {
	// Shards returns how many shards a step configured with cfg splits
	// into when asked for at most n (n ≥ 2): from 1 to n, fewer when
	// there is less work than n shards. It is a function of cfg and n
	// alone (no data), so that the coordinator and every worker agree on
	// the split. cfg holds no unknown values.
	Shards(cfg cty.Value, n int) (int, error)

	// RunShard does shard i (from 0) of count, as Shards(in.Config,
	// count) split the work, and stores what it found as one artifact,
	// its partial result, which it returns. It must be deterministic
	// like Run, and fail as Run would on the same inputs (bad data is
	// the same error in every shard).
	RunShard(ctx context.Context, env Env, in *Inputs, i, count int) (Artifact, error)

	// Assemble reads the partial results of every shard, in shard order,
	// and returns what Run returns for the same inputs, the same bytes
	// in every artifact, and raises the warnings Run would.
	Assemble(ctx context.Context, env Env, in *Inputs, partials []Artifact) (Outputs, error)
}
