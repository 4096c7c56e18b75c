package steps_test

import (
	"encoding/json"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
)

func TestDescribe(t *testing.T) {
	split := []steps.Attribute{
		{Name: "test", Type: cty.Number, Required: true, Description: "Held out.",
			Number: &steps.Number{Min: cty.Zero, Max: cty.NumberIntVal(1), MinExclusive: true, MaxExclusive: true}},
		{Name: "seed", Type: cty.Number},
	}
	c := steps.NewCatalog(
		schemaKind{"read", &steps.Schema{Description: "Reads.", Outputs: []steps.Output{
			{Name: "lines", Type: steps.ArtifactType, Media: []steps.Media{text}, Description: "The lines."},
		}}},
		schemaKind{"count", &steps.Schema{
			Attributes: []steps.Attribute{
				{Name: "input", Type: steps.ArtifactType, Required: true, Accepts: []steps.Media{text}},
				{Name: "split", Type: steps.ObjectType(split), Fields: split},
				{Name: "folds", Type: cty.Number, Default: cty.NumberIntVal(5), Number: &steps.Number{Whole: true, Min: cty.NumberIntVal(2)}},
				{Name: "threads", Type: cty.List(cty.Number), NotKeyed: true},
			},
			Outputs: []steps.Output{{Name: "counts", Type: steps.ArtifactType, Media: []steps.Media{counts}}},
		}},
	)
	b, err := json.Marshal(steps.Describe(c))
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"kinds":[` +
		`{"name":"read","version":"1","description":"Reads.","attributes":[],"outputs":[{"name":"lines","type":"artifact","description":"The lines.","media":[{"media_type":"text/plain","label":"text"}]}]},` +
		`{"name":"count","version":"1","description":"","attributes":[` +
		`{"name":"input","type":"artifact","required":true,"keyed":true,"accepts":[{"media_type":"text/plain","label":"text"}]},` +
		`{"name":"split","type":"object","required":false,"keyed":true,"fields":[` +
		`{"name":"test","type":"number","required":true,"keyed":true,"description":"Held out.","number":{"min":0,"max":1,"min_exclusive":true,"max_exclusive":true,"text":"a number between 0 and 1 (exclusive)"}},` +
		`{"name":"seed","type":"number","required":false,"keyed":true}]},` +
		`{"name":"folds","type":"number","required":false,"default":5,"keyed":true,"number":{"whole":true,"min":2,"text":"a whole number \u003e= 2"}},` +
		`{"name":"threads","type":"list(number)","required":false,"keyed":false}],` +
		`"outputs":[{"name":"counts","type":"artifact","media":[{"media_type":"application/x-counts","label":"counts","description":"Counts."}]}]}],` +
		`"media":[{"media_type":"application/x-counts","label":"counts","description":"Counts.","producers":["count.NAME.counts"]},` +
		`{"media_type":"text/plain","label":"text","producers":["read.NAME.lines"]}]}`
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
}

func TestTypeString(t *testing.T) {
	for _, c := range []struct {
		ty   cty.Type
		want string
	}{
		{cty.String, "string"},
		{cty.DynamicPseudoType, "any"},
		{steps.ArtifactType, "artifact"},
		{cty.List(steps.ArtifactType), "list(artifact)"},
		{cty.Map(cty.Number), "map(number)"},
		{cty.Set(cty.Bool), "set(bool)"},
		{cty.Tuple([]cty.Type{cty.String, cty.Number}), "tuple([string, number])"},
		{cty.ObjectWithOptionalAttrs(map[string]cty.Type{"b": cty.Number, "a": cty.String}, []string{"a"}), "object({ a = optional(string), b = number })"},
	} {
		if got := steps.TypeString(c.ty); got != c.want {
			t.Errorf("%s: %q, want %q", c.ty.FriendlyName(), got, c.want)
		}
	}
}
