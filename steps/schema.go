package steps

import (
	"github.com/zclconf/go-cty/cty"
)

// Schema declares, once and as data, what a step block takes and what the
// step produces. The engine decodes blocks, checks references and types,
// and documents kinds from it.
type Schema struct {
	// Description is one sentence for documentation and `pipe help`.
	Description string
	// Attributes are the block's attributes, in documentation order.
	Attributes []Attribute
	// Outputs are the values Run returns, in documentation order.
	Outputs []Output
}

// Attribute is one attribute of a step block.
type Attribute struct {
	Name string
	// Type is the type the value is converted to. cty.DynamicPseudoType
	// accepts any value unchanged.
	Type cty.Type
	// Required attributes must be set.
	Required bool
	// Default is used when the attribute is omitted. cty.NilVal means
	// null.
	Default cty.Value
	// Description is one sentence for documentation.
	Description string
	// NotKeyed marks attributes that cannot change a step's results (how
	// many goroutines to use, how often to report progress). They are left
	// out of the cache key on purpose. Use sparingly: a keyed attribute
	// that should not be costs a re-run; an unkeyed one that should be
	// keyed serves wrong results from the cache.
	NotKeyed bool
	// Explain asks the engine for the expression behind the value, as
	// written, with the value of every reference in it, in
	// Inputs.Explanations: a gate such as publish's require can then say
	// "evaluate.holdout.f1 >= 0.85 is false (evaluate.holdout.f1 = 0.81)".
	Explain bool
}

// Output is one value a step produces.
type Output struct {
	Name string
	// Type of the value. ArtifactType for artifacts; cty.DynamicPseudoType
	// when the type depends on the configuration.
	Type cty.Type
	// Description is one sentence for documentation.
	Description string
}

// Attribute returns the named attribute and whether it exists.
func (s *Schema) Attribute(name string) (Attribute, bool) {
	for _, a := range s.Attributes {
		if a.Name == name {
			return a, true
		}
	}
	return Attribute{}, false
}

// Output returns the named output and whether it exists.
func (s *Schema) Output(name string) (Output, bool) {
	for _, o := range s.Outputs {
		if o.Name == name {
			return o, true
		}
	}
	return Output{}, false
}

// OutputType is the object type of all of a step's outputs together, the
// type of the expression KIND.NAME in a pipeline.
func (s *Schema) OutputType() cty.Type {
	attrs := make(map[string]cty.Type, len(s.Outputs))
	for _, o := range s.Outputs {
		attrs[o.Name] = o.Type
	}
	return cty.Object(attrs)
}
