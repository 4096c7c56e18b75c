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
//	tally "x" { input = ARTIFACT, add = tally.y.counts, min_count = 1 } → counts (Counts), distinct (number)
type Tally struct{ c *Counter }

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
		},
		Outputs: []steps.Output{
			{Name: "counts", Type: steps.ArtifactType, Media: []steps.Media{Counts}, Description: "How often each line occurs."},
			{Name: "distinct", Type: cty.Number, Description: "How many different lines were counted."},
		},
	}
}

func (k *Tally) Run(ctx context.Context, env steps.Env, in *steps.Inputs) (steps.Outputs, error) {
	k.c.Add("tally")
	input, err := in.Artifact("input")
	if err != nil {
		return nil, err
	}
	b, err := env.ReadArtifact(ctx, input)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	if !in.Attr("add").IsNull() {
		add, err := in.Artifact("add")
		if err != nil {
			return nil, err
		}
		prev, err := env.ReadArtifact(ctx, add)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(prev, &counts); err != nil {
			return nil, fmt.Errorf("tally: reading the counts to add: %w", err)
		}
	}
	for line := range strings.Lines(string(b)) {
		counts[strings.TrimRight(line, "\n")]++
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
	out, err := json.Marshal(counts) // sorted keys
	if err != nil {
		return nil, err
	}
	a, err := env.PutArtifact(ctx, Counts.Type, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(out))
		return err
	})
	if err != nil {
		return nil, err
	}
	return steps.Outputs{"counts": a.Value(), "distinct": cty.NumberIntVal(int64(len(counts)))}, nil
}
