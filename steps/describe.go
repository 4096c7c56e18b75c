package steps

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// CatalogDoc is what a catalog's kinds declare, as data for documentation:
// `pipe kinds` prints it for people, as JSON (the shape of these types'
// JSON tags is a contract, as `terraform providers schema -json` is) and as
// the Markdown of docs/kinds.md. It is built from the schemas alone, so
// the documentation cannot drift from what the engine checks.
type CatalogDoc struct {
	// Kinds are the kinds, in the order they were registered.
	Kinds []KindDoc `json:"kinds"`
	// Media are the kinds of artifact the kinds make or take, sorted by
	// media type, with the outputs that make each.
	Media []MediaDoc `json:"media"`
}

// KindDoc describes one kind.
type KindDoc struct {
	Name        string         `json:"name"`
	Version     string         `json:"version"`
	Description string         `json:"description"`
	Attributes  []AttributeDoc `json:"attributes"`
	Outputs     []OutputDoc    `json:"outputs"`
}

// AttributeDoc describes an attribute of a kind, or a field of one.
type AttributeDoc struct {
	Name string `json:"name"`
	// Type is the type as a pipeline's variable block writes it: string,
	// number, bool, any, artifact, list(artifact), object, ...
	Type     string `json:"type"`
	Required bool   `json:"required"`
	// Default is the default value as JSON; absent for none (null).
	Default json.RawMessage `json:"default,omitempty"`
	// Keyed says whether the value is part of the cache key (false for
	// NotKeyed attributes). Fields are keyed as their attribute is.
	Keyed       bool   `json:"keyed"`
	Description string `json:"description,omitempty"`
	// Accepts are the kinds of artifact an artifact attribute takes.
	Accepts []Media `json:"accepts,omitempty"`
	// Number is the numbers a number attribute takes.
	Number *NumberDoc `json:"number,omitempty"`
	// Fields are an object attribute's fields.
	Fields []AttributeDoc `json:"fields,omitempty"`
}

// NumberDoc is a Number constraint: its bounds as JSON numbers (exact)
// and in words.
type NumberDoc struct {
	Whole        bool            `json:"whole,omitempty"`
	Min          json.RawMessage `json:"min,omitempty"`
	Max          json.RawMessage `json:"max,omitempty"`
	MinExclusive bool            `json:"min_exclusive,omitempty"`
	MaxExclusive bool            `json:"max_exclusive,omitempty"`
	// Text is the constraint in words: "a whole number from 2 to 255".
	Text string `json:"text"`
}

// OutputDoc describes an output.
type OutputDoc struct {
	Name        string  `json:"name"`
	Type        string  `json:"type"`
	Description string  `json:"description,omitempty"`
	Media       []Media `json:"media,omitempty"`
}

// MediaDoc is a kind of artifact and the outputs that make it.
type MediaDoc struct {
	Media
	// Producers are the outputs that make it, as a pipeline refers to
	// them: load.NAME.train.
	Producers []string `json:"producers"`
}

// Describe documents every kind in c and every kind of artifact they
// declare.
func Describe(c *Catalog) *CatalogDoc {
	d := &CatalogDoc{Kinds: []KindDoc{}, Media: []MediaDoc{}}
	for _, k := range c.Kinds() {
		d.Kinds = append(d.Kinds, DescribeKind(k))
	}
	for _, m := range c.Media() {
		md := MediaDoc{Media: m, Producers: []string{}}
		for _, p := range c.Producers(m.Type) {
			md.Producers = append(md.Producers, p.Example())
		}
		d.Media = append(d.Media, md)
	}
	return d
}

// DescribeKind documents one kind from its schema.
func DescribeKind(k Kind) KindDoc {
	s := k.Schema()
	d := KindDoc{Name: k.Name(), Version: k.Version(), Description: s.Description, Attributes: []AttributeDoc{}, Outputs: []OutputDoc{}}
	for _, a := range s.Attributes {
		d.Attributes = append(d.Attributes, describeAttribute(a, !a.NotKeyed))
	}
	for _, o := range s.Outputs {
		d.Outputs = append(d.Outputs, OutputDoc{Name: o.Name, Type: TypeString(o.Type), Description: o.Description, Media: o.Media})
	}
	return d
}

func describeAttribute(a Attribute, keyed bool) AttributeDoc {
	d := AttributeDoc{Name: a.Name, Type: TypeString(a.Type), Required: a.Required, Keyed: keyed,
		Description: a.Description, Accepts: a.Accepts}
	if len(a.Fields) > 0 {
		d.Type = "object"
	}
	if a.Default != cty.NilVal && !a.Default.IsNull() {
		d.Default = jsonValue(a.Default)
	}
	if n := a.Number; n != nil {
		d.Number = &NumberDoc{Whole: n.Whole, MinExclusive: n.MinExclusive, MaxExclusive: n.MaxExclusive, Text: n.String()}
		if n.Min != cty.NilVal {
			d.Number.Min = jsonValue(n.Min)
		}
		if n.Max != cty.NilVal {
			d.Number.Max = jsonValue(n.Max)
		}
	}
	for _, f := range a.Fields {
		d.Fields = append(d.Fields, describeAttribute(f, keyed))
	}
	return d
}

// jsonValue is v as JSON; numbers keep every digit.
func jsonValue(v cty.Value) json.RawMessage {
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		panic(fmt.Sprintf("steps: %s cannot be written as JSON: %v", v.GoString(), err))
	}
	return b
}

// TypeString writes ty the way a pipeline's variable block does: string,
// number, bool, any, list(number), map(string), object({ a = number }),
// with ArtifactType as "artifact".
func TypeString(ty cty.Type) string {
	switch {
	case ty == cty.DynamicPseudoType:
		return "any"
	case ty.Equals(ArtifactType):
		return "artifact"
	case ty.IsPrimitiveType():
		return ty.FriendlyName()
	case ty.IsListType():
		return "list(" + TypeString(ty.ElementType()) + ")"
	case ty.IsSetType():
		return "set(" + TypeString(ty.ElementType()) + ")"
	case ty.IsMapType():
		return "map(" + TypeString(ty.ElementType()) + ")"
	case ty.IsTupleType():
		var parts []string
		for _, t := range ty.TupleElementTypes() {
			parts = append(parts, TypeString(t))
		}
		return "tuple([" + strings.Join(parts, ", ") + "])"
	case ty.IsObjectType():
		names := make([]string, 0, len(ty.AttributeTypes()))
		for n := range ty.AttributeTypes() {
			names = append(names, n)
		}
		sort.Strings(names)
		var parts []string
		for _, n := range names {
			t := TypeString(ty.AttributeType(n))
			if ty.AttributeOptional(n) {
				t = "optional(" + t + ")"
			}
			parts = append(parts, n+" = "+t)
		}
		return "object({ " + strings.Join(parts, ", ") + " })"
	}
	return ty.FriendlyName()
}
