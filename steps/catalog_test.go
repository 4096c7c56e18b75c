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
