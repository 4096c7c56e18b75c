package eval

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/engine/testkinds"
	"github.com/pipe-ml/pipe/steps"
)

// artifactOf returns a known artifact value of the given media type.
func artifactOf(mediaType, seed string) cty.Value {
	return steps.Artifact{Digest: "sha256:" + strings.Repeat(seed, 64), MediaType: mediaType, Size: 3}.Value()
}

// evalSteps parses src with kinds and evaluates every step in a scope in
// which the named steps' outputs are known, returning the diagnostics by
// step name.
func evalSteps(t *testing.T, kinds *steps.Catalog, src string, known map[config.StepAddr]cty.Value) map[string]hcl.Diagnostics {
	t.Helper()
	cfg, diags := config.Parse("/p", []config.Source{{Name: "p.pipe.hcl", Bytes: []byte(src)}}, kinds)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	scope := &lang.Scope{Dir: "/p", Steps: known}
	out := map[string]hcl.Diagnostics{}
	for addr, step := range cfg.Steps {
		_, d := Step(step, scope)
		out[addr.Name] = d
	}
	return out
}

func TestConstraintsOfAKindOfArtifactOnlyItsKindKnows(t *testing.T) {
	src := `
source "a" {
  path = "*.txt"
}
tally "t" {
  input = source.a.data
}
tally "wrong" {
  input = source.a.data
  add   = source.a.data
}
tally "chained" {
  input = source.a.data
  add   = tally.t.counts
}
tally "later" {
  input = source.a.data
  add   = tally.pending.counts
}
tally "pending" {
  input     = source.a.data
  min_count = 0
}
`
	kinds := testkinds.Catalog(nil)
	tally, _ := kinds.Lookup("tally")
	known := map[config.StepAddr]cty.Value{
		{Kind: "source", Name: "a"}:      cty.ObjectVal(map[string]cty.Value{"data": artifactOf("text/plain", "a"), "lines": cty.NumberIntVal(3)}),
		{Kind: "tally", Name: "t"}:       cty.ObjectVal(map[string]cty.Value{"counts": artifactOf(testkinds.Counts.Type, "b"), "distinct": cty.NumberIntVal(2)}),
		{Kind: "tally", Name: "pending"}: cty.UnknownVal(tally.Schema().OutputType()),
	}
	got := evalSteps(t, kinds, src, known)
	for _, name := range []string{"t", "chained", "later"} {
		if len(got[name]) > 0 {
			t.Errorf("tally.%s: %v", name, got[name])
		}
	}
	wrong := got["wrong"]
	if len(wrong) != 1 || wrong[0].Summary != "Wrong kind of artifact" {
		t.Fatalf("tally.wrong: %v", wrong)
	}
	const detail = "add is an artifact of type text/plain, not a counts artifact (application/vnd.pipe.test.counts+json). Give the counts output of a tally step, e.g. tally.NAME.counts."
	if wrong[0].Detail != detail {
		t.Errorf("detail\n%s\nwant\n%s", wrong[0].Detail, detail)
	}
	if r := wrong[0].Subject; r.Start.Line != 10 || r.Start.Column != 11 {
		t.Errorf("subject %s, want the add expression at line 10, column 11", r)
	}
	pending := got["pending"]
	if len(pending) != 1 || pending[0].Summary != "Invalid min_count" || pending[0].Detail != "min_count must be a whole number >= 1, not 0." {
		t.Fatalf("tally.pending: %v", pending)
	}
	if r := pending[0].Subject; r.Start.Line != 22 {
		t.Errorf("subject %s, want the min_count expression at line 22", r)
	}
}

// fitKind takes a list of artifacts of one kind and an object whose fields
// have constraints of their own.
type fitKind struct{}

var (
	rows  = steps.Media{Type: "application/x-rows", Label: "rows"}
	model = steps.Media{Type: "application/x-model", Label: "model"}
	opts  = []steps.Attribute{
		{Name: "rate", Type: cty.Number, Required: true, Number: &steps.Number{Min: cty.Zero, Max: cty.NumberIntVal(1), MinExclusive: true, MaxExclusive: true}},
		{Name: "start", Type: steps.ArtifactType, Accepts: []steps.Media{model}},
	}
)

func (fitKind) Name() string    { return "fit" }
func (fitKind) Version() string { return "1" }
func (fitKind) Schema() *steps.Schema {
	return &steps.Schema{
		Attributes: []steps.Attribute{
			{Name: "data", Type: cty.List(steps.ArtifactType), Required: true, Accepts: []steps.Media{rows}},
			{Name: "opts", Type: steps.ObjectType(opts), Fields: opts},
			{Name: "any", Type: cty.DynamicPseudoType, Number: &steps.Number{Max: cty.NumberIntVal(10)}},
		},
		Outputs: []steps.Output{{Name: "model", Type: steps.ArtifactType, Media: []steps.Media{model}}},
	}
}
func (fitKind) Run(context.Context, steps.Env, *steps.Inputs) (steps.Outputs, error) {
	return nil, nil
}

func TestConstraintsInListsAndFields(t *testing.T) {
	src := `
fit "a" {
  data = [var.rows, var.model, var.rows]
  opts = { rate = 1.5, start = var.rows }
  any  = 11
}
fit "b" {
  data = [var.rows]
  opts = { rate = 0.5, start = var.model }
  any  = "words are not numbers"
}
`
	kinds := steps.NewCatalog(fitKind{})
	cfg, diags := config.Parse("/p", []config.Source{{Name: "p.pipe.hcl", Bytes: []byte(src)}}, kinds)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	scope := &lang.Scope{Dir: "/p", Vars: map[string]cty.Value{"rows": artifactOf(rows.Type, "1"), "model": artifactOf(model.Type, "2")}}
	_, got := Step(cfg.Steps[config.StepAddr{Kind: "fit", Name: "a"}], scope)
	want := []struct{ summary, detail, at string }{
		{"Wrong kind of artifact", "data[1] is a model artifact (application/x-model), not a rows artifact (application/x-rows).", "var.model"}, // no kind makes rows
		{"Invalid opts.rate", "opts.rate must be a number between 0 and 1 (exclusive), not 1.5.", "1.5"},
		{"Wrong kind of artifact", "opts.start is a rows artifact (application/x-rows), not a model artifact (application/x-model). Give the model output of a fit step, e.g. fit.NAME.model.", "var.rows"},
		{"Invalid any", "any must be a number <= 10, not 11.", "11"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d diagnostics, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		d := got[i]
		at := string(d.Subject.SliceBytes([]byte(src)))
		if d.Summary != w.summary || d.Detail != w.detail || at != w.at {
			t.Errorf("diagnostic %d: %s: %s (at %q)\nwant %s: %s (at %q)", i, d.Summary, d.Detail, at, w.summary, w.detail, w.at)
		}
	}
	if _, d := Step(cfg.Steps[config.StepAddr{Kind: "fit", Name: "b"}], scope); len(d) > 0 {
		t.Errorf("fit.b: %v", d)
	}
}
