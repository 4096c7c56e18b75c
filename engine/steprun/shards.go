package steprun

import (
	"context"
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/cache"
	"github.com/pipe-ml/pipe/engine/cachekey"
	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/steps"
)

// Count returns how many shards a step of kind configured with cfg
// (wholly known) runs as when its resources ask for n: 1 when n is not
// more than 1 or the kind does not split, else what the kind's Shards
// says.
func Count(kind steps.Kind, cfg cty.Value, n int) (int, error) {
	sharder, ok := kind.(steps.Sharder)
	if !ok || n < 2 {
		return 1, nil
	}
	unmarked, _ := cfg.UnmarkDeep()
	return sharder.Shards(unmarked, n)
}

// shardPreimage is the preimage of the key that shard i of count of the
// step whose key is key keeps its partial result under: the step's key
// and the shard's place in the split, so that another split never shares
// a partial.
func shardPreimage(kind steps.Kind, key string, i, count int) *cachekey.Preimage {
	enc := func(v string) cachekey.Value {
		return cachekey.Value{Type: []byte(`"string"`), Value: []byte(fmt.Sprintf("%q", v))}
	}
	return &cachekey.Preimage{
		Format: cachekey.Format, Kind: kind.Name() + "/shard", Version: kind.Version(), Files: []cachekey.File{},
		Config: map[string]cachekey.Value{"step": enc(key), "shard": enc(fmt.Sprint(i)), "shards": enc(fmt.Sprint(count))},
	}
}

// ShardKey is the cache key of shard i of count of the step of kind whose
// key is key.
func ShardKey(kind steps.Kind, key string, i, count int) string {
	return shardPreimage(kind, key, i, count).Key()
}

// RunShard runs shard i of s.Shards, unless its partial result is
// already in the store, and returns the partial. Errors are Run's.
func RunShard(ctx context.Context, s *Step, o Options, i int) (steps.Artifact, error) {
	sharder, ok := s.Kind.(steps.Sharder)
	if !ok || s.Shards < 2 || i < 0 || i >= s.Shards {
		return steps.Artifact{}, fmt.Errorf("steprun: %s has no shard %d of %d", s.Addr, i, s.Shards)
	}
	return newRun(s, o).shard(ctx, sharder, i)
}

// Assemble builds s's outputs from the partial results of its shards,
// which must all be in the store, and saves its entry, which it returns.
func Assemble(ctx context.Context, s *Step, o Options) (*cache.Entry, error) {
	sharder, ok := s.Kind.(steps.Sharder)
	if !ok || s.Shards < 2 {
		return nil, fmt.Errorf("steprun: %s does not run as shards", s.Addr)
	}
	r := newRun(s, o)
	var partials []steps.Artifact
	for i := range s.Shards {
		a, ok, err := r.partial(ctx, i)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("steprun: shard %d of %d of %s has no partial result in the store: apply again to run it", i, s.Shards, s.Addr)
		}
		partials = append(partials, a)
	}
	return r.commit(ctx, func(env steps.Env, in *steps.Inputs) (steps.Outputs, error) {
		return sharder.Assemble(ctx, env, in, partials)
	})
}

// shards runs every shard whose partial result is missing, one after
// the other, and returns the partials in shard order.
func (r *run) shards(ctx context.Context, sharder steps.Sharder) ([]steps.Artifact, error) {
	var partials []steps.Artifact
	for i := range r.s.Shards {
		a, err := r.shard(ctx, sharder, i)
		if err != nil {
			return nil, err
		}
		partials = append(partials, a)
	}
	return partials, nil
}

// shard returns shard i's partial result, running the shard when it is
// not in the store and saving it under its shard key.
func (r *run) shard(ctx context.Context, sharder steps.Sharder, i int) (steps.Artifact, error) {
	s := r.s
	if a, ok, err := r.partial(ctx, i); err != nil || ok {
		return a, err
	}
	a, err := checked(ctx, r, func(env steps.Env) (steps.Artifact, error) {
		return sharder.RunShard(ctx, env, r.inputs(), i, s.Shards)
	})
	if err != nil {
		return steps.Artifact{}, &executor.StepError{Step: s.Addr, Err: err}
	}
	pre := shardPreimage(s.Kind, s.Preimage.Key(), i, s.Shards)
	enc, err := cachekey.Encode(a.Value(), nil)
	if err != nil {
		return steps.Artifact{}, err
	}
	entry := &cache.Entry{
		Format: cache.EntryFormat, Key: pre.Key(), Step: fmt.Sprintf("%s (shard %d of %d)", s.Addr, i, s.Shards), Pipeline: s.Pipeline,
		Preimage: pre, Outputs: map[string]cachekey.Value{"partial": enc}, Artifacts: []string{a.Digest},
		Started: r.started.UTC(), Duration: r.now().Sub(r.started).Seconds(), PipeVersion: s.PipeVersion,
	}
	if err := cache.Save(ctx, r.o.Env.Store(), entry); err != nil {
		return steps.Artifact{}, err
	}
	return a, nil
}

// partial returns shard i's partial result when the store holds it.
func (r *run) partial(ctx context.Context, i int) (steps.Artifact, bool, error) {
	s := r.s
	entry, _, err := cache.Lookup(ctx, r.o.Env.Store(), ShardKey(s.Kind, s.Preimage.Key(), i, s.Shards))
	if err != nil || entry == nil {
		return steps.Artifact{}, false, err
	}
	v, ok := entry.Outputs["partial"].Decode()
	if !ok {
		return steps.Artifact{}, false, nil
	}
	a, err := steps.ArtifactFromValue(v)
	return a, err == nil, nil
}
