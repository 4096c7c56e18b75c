package search

import (
	"context"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/steptest"
)

// shardedAttrs is a search with l2 and l1 paths, duplicates (penalty
// none ignores C) and several folds: a split with uneven shards.
func shardedAttrs(data cty.Value) map[string]cty.Value {
	return map[string]cty.Value{
		"data":   data,
		"folds":  cty.NumberIntVal(3),
		"metric": cty.StringVal("f1"),
		"space": obj(map[string]cty.Value{
			"C":            nums(0.01, 0.1, 1, 10),
			"penalty":      strs("l2", "l1", "none"),
			"class_weight": strs("none", "balanced"),
		}),
	}
}

// runSharded runs every shard of count and assembles them.
func runSharded(t *testing.T, env *steptest.Env, attrs map[string]cty.Value, count int) steps.Outputs {
	t.Helper()
	in, err := env.Inputs(Kind{}, attrs)
	if err != nil {
		t.Fatal(err)
	}
	n, err := Kind{}.Shards(in.Config, count)
	if err != nil {
		t.Fatal(err)
	}
	var partials []steps.Artifact
	for i := range n {
		a, err := Kind{}.RunShard(context.Background(), env, in, i, n)
		if err != nil {
			t.Fatal(err)
		}
		partials = append(partials, a)
	}
	out, err := Kind{}.Assemble(context.Background(), env, in, partials)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The trials table is the same bytes whether the fits ran in Run, in one
// shard, or in any number of shards, one after the other.
func TestShardsAssembleToRun(t *testing.T) {
	env := steptest.NewEnv(t, steptest.Parallelism(2))
	attrs := shardedAttrs(putDataset(t, env, synthData(600, 12, 5)))
	want, err := env.Run(Kind{}, attrs)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := env.Inputs(Kind{}, attrs)
	// 4 C × (l2, l1) paths and one for none, × 2 class weights = 6
	// paths, × 3 folds = 18 tasks.
	for requested, got := range map[int]int{2: 2, 5: 5, 18: 18, 64: 18} {
		if n, err := (Kind{}).Shards(in.Config, requested); n != got || err != nil {
			t.Errorf("Shards(%d) = %d, %v; want %d", requested, n, err, got)
		}
	}
	for _, count := range []int{1, 2, 5, 64} {
		out := runSharded(t, env, attrs, count)
		for name, v := range want {
			if !out[name].RawEquals(v) {
				t.Errorf("%d shards: output %s is %#v, Run's %#v", count, name, out[name], v)
			}
		}
	}
}

// Every shard fails on bad data as Run does, with the same error.
func TestShardFailsAsRun(t *testing.T) {
	env := steptest.NewEnv(t)
	d := synthData(64, 8, 1)
	for i := range d.Y {
		d.Y[i] = 0
	}
	attrs := shardedAttrs(putDataset(t, env, d))
	_, runErr := env.Run(Kind{}, attrs)
	in, _ := env.Inputs(Kind{}, attrs)
	_, shardErr := Kind{}.RunShard(context.Background(), env, in, 1, 4)
	if runErr == nil || shardErr == nil || runErr.Error() != shardErr.Error() {
		t.Errorf("Run: %v\nshard: %v", runErr, shardErr)
	}
}

// Assemble refuses partial results that do not cover the search, or
// that are another split's.
func TestAssembleChecksPartials(t *testing.T) {
	env := steptest.NewEnv(t)
	attrs := shardedAttrs(putDataset(t, env, synthData(300, 8, 2)))
	in, _ := env.Inputs(Kind{}, attrs)
	var parts []steps.Artifact
	for i := range 3 {
		a, err := Kind{}.RunShard(context.Background(), env, in, i, 3)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, a)
	}
	if _, err := (Kind{}).Assemble(context.Background(), env, in, parts[:2]); err == nil || !strings.Contains(err.Error(), "is shard 0 of 3, not 0 of 2") {
		t.Errorf("two of three partials: %v", err)
	}
	if _, err := (Kind{}).Assemble(context.Background(), env, in, []steps.Artifact{parts[0], parts[0], parts[2]}); err == nil || !strings.Contains(err.Error(), "is shard 0 of 3, not 1 of 3") {
		t.Errorf("a partial twice: %v", err)
	}
	data, _ := steps.ArtifactFromValue(attrs["data"])
	if _, err := (Kind{}).Assemble(context.Background(), env, in, []steps.Artifact{parts[0], parts[1], data}); err == nil || !strings.Contains(err.Error(), "is not a pipe.search.partial/v1 file") {
		t.Errorf("a dataset as a partial: %v", err)
	}
	if _, err := (Kind{}).RunShard(context.Background(), env, in, 3, 3); err == nil || !strings.Contains(err.Error(), "shard 3 of 3 does not exist") {
		t.Errorf("shard 3 of 3: %v", err)
	}
}
