package testkinds

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
)

// Counts is a kind of artifact that only the tally kind knows: nothing
// outside this file declares it, yet `pipe kinds` documents it, the engine
// refuses another artifact where it is expected, and the registry labels
// it "counts". It is how the engine's tests prove that a new kind with a
// new kind of artifact is one package and one line.
var Counts = steps.Media{Type: "application/vnd.pipe.test.counts+json", Label: "counts",
	Description: "How often each line of a text occurs, as a JSON object."}

// Tally counts the lines of an artifact, adding the counts of an earlier
// tally:
//
//	tally "x" { input = ARTIFACT, add = tally.y.counts, min_count = 1, fail_shard = 2 } → counts (Counts), distinct (number)
//
// It splits into shards (steps.Sharder), shard i of n counting the lines
// whose number modulo n is i, and counts its shards as "tally/shard";
// fail_shard, not keyed, makes one shard fail, for tests of resuming.
type Tally struct{ c *Counter }

var _ steps.Sharder = (*Tally)(nil)

func (*Tally) Name() string    { return "tally" }
func (*Tally) Version() string { return "1" }
func (*Tally) Schema() *steps.Schema {
	return &steps.Schema{
		Description: "Counts the lines of an artifact.",
		Attributes: []steps.Attribute{
			{Name: "input", Type: steps.ArtifactType, Required: true, Description: "The text whose lines to count."},
			{Name: "add", Type: steps.ArtifactType, Accepts: []steps.Media{Counts}, Description: "The counts of an earlier tally to add to."},
			{Name: "min_count", Type: cty.Number, Default: cty.NumberIntVal(1),
				Number:      &steps.Number{Whole: true, Min: cty.NumberIntVal(1)},
				Description: "Lines seen fewer times are left out."},
			{Name: "fail_shard", Type: cty.Number, NotKeyed: true, Description: "The shard that fails, for tests."},
		},
		Outputs: []steps.Output{
			{Name: "counts", Type: steps.ArtifactType, Media: []steps.Media{Counts}, Description: "How often each line occurs."},
			{Name: "distinct", Type: cty.Number, Description: "How many different lines were counted."},
		},
	}
}

func (k *Tally) Run(ctx context.Context, env steps.Env, in *steps.Inputs) (steps.Outputs, error) {
	k.c.Add("tally")
	counts, err := k.count(ctx, env, in, 0, 1)
	if err != nil {
		return nil, err
	}
	return k.finish(ctx, env, in, counts)
}

// Shards splits a tally into n shards, whatever its input.
func (k *Tally) Shards(cfg cty.Value, n int) (int, error) { return n, nil }

// RunShard counts the lines whose number modulo count is i.
func (k *Tally) RunShard(ctx context.Context, env steps.Env, in *steps.Inputs, i, count int) (steps.Artifact, error) {
	k.c.Add("tally/shard")
	if f := in.Attr("fail_shard"); !f.IsNull() && f.Equals(cty.NumberIntVal(int64(i))).True() {
		return steps.Artifact{}, fmt.Errorf("tally: shard %d failed, as fail_shard asked", i)
	}
	counts, err := k.count(ctx, env, in, i, count)
	if err != nil {
		return steps.Artifact{}, err
	}
	return putCounts(ctx, env, counts)
}

// Assemble adds the shards' counts.
func (k *Tally) Assemble(ctx context.Context, env steps.Env, in *steps.Inputs, partials []steps.Artifact) (steps.Outputs, error) {
	counts := map[string]int{}
	for _, p := range partials {
		part, err := readCounts(ctx, env, p)
		if err != nil {
			return nil, err
		}
		for line, n := range part {
			counts[line] += n
		}
	}
	return k.finish(ctx, env, in, counts)
}

// count counts the lines of the input whose number modulo count is i.
func (k *Tally) count(ctx context.Context, env steps.Env, in *steps.Inputs, i, count int) (map[string]int, error) {
	input, err := in.Artifact("input")
	if err != nil {
		return nil, err
	}
	b, err := env.ReadArtifact(ctx, input)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	n := 0
	for line := range strings.Lines(string(b)) {
		if n%count == i {
			counts[strings.TrimRight(line, "\n")]++
		}
		n++
	}
	return counts, nil
}

// finish adds the earlier tally's counts, drops the rare lines and stores
// the counts.
func (k *Tally) finish(ctx context.Context, env steps.Env, in *steps.Inputs, counts map[string]int) (steps.Outputs, error) {
	if !in.Attr("add").IsNull() {
		add, err := in.Artifact("add")
		if err != nil {
			return nil, err
		}
		prev, err := readCounts(ctx, env, add)
		if err != nil {
			return nil, err
		}
		for line, n := range prev {
			counts[line] += n
		}
	}
	minCount, err := in.Int("min_count", 1)
	if err != nil {
		return nil, err
	}
	for line, n := range counts {
		if n < minCount {
			delete(counts, line)
		}
	}
	a, err := putCounts(ctx, env, counts)
	if err != nil {
		return nil, err
	}
	return steps.Outputs{"counts": a.Value(), "distinct": cty.NumberIntVal(int64(len(counts)))}, nil
}

func putCounts(ctx context.Context, env steps.Env, counts map[string]int) (steps.Artifact, error) {
	out, err := json.Marshal(counts) // sorted keys
	if err != nil {
		return steps.Artifact{}, err
	}
	return env.PutArtifact(ctx, Counts.Type, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(out))
		return err
	})
}

func readCounts(ctx context.Context, env steps.Env, a steps.Artifact) (map[string]int, error) {
	b, err := env.ReadArtifact(ctx, a)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	if err := json.Unmarshal(b, &counts); err != nil {
		return nil, fmt.Errorf("tally: reading counts: %w", err)
	}
	return counts, nil
}
