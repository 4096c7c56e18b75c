package steps_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
)

// schemaKind is a kind with a given schema.
type schemaKind struct {
	name   string
	schema *steps.Schema
}

func (k schemaKind) Name() string          { return k.name }
func (k schemaKind) Version() string       { return "1" }
func (k schemaKind) Schema() *steps.Schema { return k.schema }
func (schemaKind) Run(context.Context, steps.Env, *steps.Inputs) (steps.Outputs, error) {
	return nil, nil
}

var (
	text   = steps.Media{Type: "text/plain", Label: "text"}
	counts = steps.Media{Type: "application/x-counts", Label: "counts", Description: "Counts."}
)

func TestCatalogGathersTheKindsOfArtifact(t *testing.T) {
	c := steps.NewCatalog(
		schemaKind{"read", &steps.Schema{Outputs: []steps.Output{
			{Name: "lines", Type: steps.ArtifactType, Media: []steps.Media{text}},
			{Name: "words", Type: steps.ArtifactType, Media: []steps.Media{text}},
		}}},
		schemaKind{"count", &steps.Schema{
			Attributes: []steps.Attribute{{Name: "input", Type: steps.ArtifactType, Accepts: []steps.Media{text}}},
			Outputs:    []steps.Output{{Name: "counts", Type: steps.ArtifactType, Media: []steps.Media{counts}}},
		}},
	)
	if got := c.Media(); !slices.Equal(got, []steps.Media{counts, text}) {
		t.Errorf("Media() = %v", got)
	}
	if m, ok := c.MediaOf("text/plain"); !ok || m.Label != "text" {
		t.Errorf("MediaOf(text/plain) = %v, %v", m, ok)
	}
	if _, ok := c.MediaOf("image/png"); ok {
		t.Error("MediaOf(image/png): a media type no kind declares was found")
	}
	want := []steps.Producer{{Kind: "read", Output: "lines"}, {Kind: "read", Output: "words"}}
	if got := c.Producers("text/plain"); !slices.Equal(got, want) {
		t.Errorf("Producers(text/plain) = %v, want %v", got, want)
	}
	if got := want[0].Example(); got != "read.NAME.lines" {
		t.Errorf("Example() = %q", got)
	}
	var nilCatalog *steps.Catalog
	if _, ok := nilCatalog.MediaOf("text/plain"); ok {
		t.Error("a nil catalog declares a media type")
	}
}

func TestRegisterRefusesMalformedSchemas(t *testing.T) {
	fields := []steps.Attribute{{Name: "test", Type: cty.Number, Required: true}}
	for _, c := range []struct {
		name   string
		schema steps.Schema
		want   string
	}{
		{"duplicate attribute", steps.Schema{Attributes: []steps.Attribute{{Name: "a", Type: cty.String}, {Name: "a", Type: cty.String}}}, "declared twice"},
		{"no type", steps.Schema{Attributes: []steps.Attribute{{Name: "a"}}}, "has no type"},
		{"accepts on a string", steps.Schema{Attributes: []steps.Attribute{{Name: "a", Type: cty.String, Accepts: []steps.Media{text}}}}, "accepts media"},
		{"number on a string", steps.Schema{Attributes: []steps.Attribute{{Name: "a", Type: cty.String, Number: &steps.Number{Whole: true}}}}, "Number constraint"},
		{"bound not a number", steps.Schema{Attributes: []steps.Attribute{{Name: "a", Type: cty.Number, Number: &steps.Number{Min: cty.StringVal("0")}}}}, "not a known number"},
		{"fields of another type", steps.Schema{Attributes: []steps.Attribute{{Name: "a", Type: cty.EmptyObject, Fields: fields}}}, "not steps.ObjectType"},
		{"field with a default", steps.Schema{Attributes: []steps.Attribute{{Name: "a", Type: steps.ObjectType([]steps.Attribute{{Name: "x", Type: cty.Number}}),
			Fields: []steps.Attribute{{Name: "x", Type: cty.Number, Default: cty.Zero}}}}}, "field a.x sets Default"},
		{"nested field", steps.Schema{Attributes: []steps.Attribute{{Name: "a", Type: steps.ObjectType([]steps.Attribute{{Name: "x", Type: cty.String}}),
			Fields: []steps.Attribute{{Name: "x", Type: cty.String, Number: &steps.Number{}}}}}}, "attribute a.x has a Number constraint"},
		{"media on a number", steps.Schema{Outputs: []steps.Output{{Name: "n", Type: cty.Number, Media: []steps.Media{text}}}}, "declares media"},
		{"media without a label", steps.Schema{Outputs: []steps.Output{{Name: "o", Type: steps.ArtifactType, Media: []steps.Media{{Type: "text/plain"}}}}}, "want one lower-case word"},
		{"media type not a type", steps.Schema{Outputs: []steps.Output{{Name: "o", Type: steps.ArtifactType, Media: []steps.Media{{Type: "plain", Label: "x"}}}}}, "type/subtype"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := panicOf(func() { steps.NewCatalog(schemaKind{"k", &c.schema}) })
			if !strings.Contains(got, c.want) {
				t.Errorf("panic %q, want one containing %q", got, c.want)
			}
		})
	}
	// Two kinds that label one media type differently.
	got := panicOf(func() {
		steps.NewCatalog(
			schemaKind{"a", &steps.Schema{Outputs: []steps.Output{{Name: "o", Type: steps.ArtifactType, Media: []steps.Media{text}}}}},
			schemaKind{"b", &steps.Schema{Attributes: []steps.Attribute{{Name: "i", Type: steps.ArtifactType, Accepts: []steps.Media{{Type: "text/plain", Label: "prose"}}}}}},
		)
	})
	if !strings.Contains(got, `labels text/plain "prose", another kind labels it "text"`) {
		t.Errorf("panic %q", got)
	}
}

func panicOf(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

func TestNumberString(t *testing.T) {
	n := func(v int64) cty.Value { return cty.NumberIntVal(v) }
	for _, c := range []struct {
		n    steps.Number
		want string
	}{
		{steps.Number{}, "a number"},
		{steps.Number{Whole: true}, "a whole number"},
		{steps.Number{Whole: true, Min: n(2), Max: n(255)}, "a whole number from 2 to 255"},
		{steps.Number{Min: n(0), Max: n(1), MinExclusive: true, MaxExclusive: true}, "a number between 0 and 1 (exclusive)"},
		{steps.Number{Min: n(0), Max: n(1), MinExclusive: true}, "a number > 0 and <= 1"},
		{steps.Number{Whole: true, Min: n(0)}, "a whole number >= 0"},
		{steps.Number{Min: n(0), MinExclusive: true}, "a number > 0"},
		{steps.Number{Max: cty.NumberFloatVal(0.5), MaxExclusive: true}, "a number < 0.5"},
		{steps.Number{Whole: true, Min: n(0), Max: cty.NumberUIntVal(1<<64 - 1)}, "a whole number from 0 to 18446744073709551615"},
	} {
		if got := c.n.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.n, got, c.want)
		}
	}
}

func TestNumberAdmits(t *testing.T) {
	fraction := &steps.Number{Min: cty.Zero, Max: cty.NumberIntVal(1), MinExclusive: true, MaxExclusive: true}
	seed := &steps.Number{Whole: true, Min: cty.Zero, Max: cty.NumberUIntVal(1<<64 - 1)}
	for _, c := range []struct {
		n    *steps.Number
		v    cty.Value
		want bool
	}{
		{fraction, cty.NumberFloatVal(0.2), true},
		{fraction, cty.Zero, false},
		{fraction, cty.NumberIntVal(1), false},
		{seed, cty.Zero, true},
		{seed, cty.NumberUIntVal(1<<64 - 1), true},
		{seed, cty.MustParseNumberVal("18446744073709551616"), false},
		{seed, cty.NumberFloatVal(1.5), false},
		{seed, cty.NumberIntVal(-1), false},
		{seed, cty.PositiveInfinity, false},
	} {
		if got := c.n.Admits(c.v); got != c.want {
			t.Errorf("%s admits %s: %v, want %v", c.n, steps.FormatNumber(c.v), got, c.want)
		}
	}
}
