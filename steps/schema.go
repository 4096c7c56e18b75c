package steps

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"
)

// Schema declares, once and as data, what a step block takes and what the
// step produces. The engine decodes blocks, checks references, types and
// constraints, and documents kinds from it (`pipe kinds`); see
// [Describe].
type Schema struct {
	// Description is one sentence for documentation and `pipe kinds`.
	Description string
	// Attributes are the block's attributes, in documentation order.
	Attributes []Attribute
	// Outputs are the values Run returns, in documentation order.
	Outputs []Output
}

// Attribute is one attribute of a step block, or one field of an object
// attribute (see Fields).
//
// Besides its type, an attribute may declare constraints that the engine
// checks on every known value, at validate and plan time and again before
// the step runs, with a diagnostic that points at the value: Accepts (the
// kinds of artifact it takes), Number (the numbers it takes) and, for an
// object, the constraints of its Fields. A kind does not check them again:
// Run only ever sees values that meet them. What no constraint can say (two
// attributes that do not go together, a string's form) the kind checks in
// Validate.
type Attribute struct {
	Name string
	// Type is the type the value is converted to. cty.DynamicPseudoType
	// accepts any value unchanged. An object attribute that declares
	// Fields has the type ObjectType(Fields).
	Type cty.Type
	// Required attributes must be set. For a field, Required means that
	// the object must have it (the other fields are optional and null
	// when left out).
	Required bool
	// Default is used when the attribute is omitted. cty.NilVal means
	// null. Fields have no defaults.
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
	// Path says that the value names local files or folders the step
	// reads (PathRead) or writes (PathWrite): a string, or a list of
	// strings, each a path relative to the pipeline folder, an absolute
	// path, a glob, or a URL. The engine keeps local paths and file://
	// URLs inside the pipeline folder and the folders allowed to it
	// (settings.allowed_paths, -allow-path; see engine/confine), at
	// validate, plan and apply time, with a diagnostic at the value; blob
	// URLs (gs://, s3://, mem://) pass. A glob is checked up to its first
	// wildcard, and the files it matches again when a FileReader lists
	// them. Kinds need not check again.
	Path PathUse

	// Accepts lists the kinds of artifact an artifact attribute takes:
	// the engine refuses any artifact in the value (the value itself, or
	// each element of a list of artifacts) whose media type is not one of
	// them. Empty accepts any artifact.
	Accepts []Media
	// Number bounds a number attribute (for a cty.DynamicPseudoType
	// attribute, its value when that is a number). Nil accepts any number.
	Number *Number
	// Fields declare the fields of an object attribute, in documentation
	// order, each with its type, description and constraints. Type must
	// then be ObjectType(Fields).
	Fields []Attribute
}

// PathUse says how a step uses the paths in an attribute: see
// Attribute.Path.
type PathUse int

const (
	// NotAPath is an attribute that names no file.
	NotAPath PathUse = iota
	// PathRead is an attribute naming files or folders the step reads.
	PathRead
	// PathWrite is an attribute naming where the step writes.
	PathWrite
)

// Number says which numbers an attribute takes: whole ones only, between
// bounds. A bound that is cty.NilVal is no bound; bounds are exact, so
// cty.NumberUIntVal(math.MaxUint64) is a bound that a float64 could not
// hold.
//
//	&steps.Number{Whole: true, Min: cty.NumberIntVal(2), Max: cty.NumberIntVal(255)}   // folds
//	&steps.Number{Min: cty.Zero, Max: cty.NumberIntVal(1), MinExclusive: true, MaxExclusive: true} // a fraction in (0, 1)
type Number struct {
	// Whole admits whole numbers only.
	Whole bool
	// Min and Max are the smallest and largest numbers admitted.
	Min, Max cty.Value
	// MinExclusive and MaxExclusive leave the bound itself out.
	MinExclusive, MaxExclusive bool
}

// String says in words which numbers n admits: "a whole number from 2 to
// 255", "a number between 0 and 1 (exclusive)", "a whole number >= 0".
func (n *Number) String() string {
	what := "a number"
	if n.Whole {
		what = "a whole number"
	}
	lo, hi := n.Min != cty.NilVal, n.Max != cty.NilVal
	var min, max string
	if lo {
		min = FormatNumber(n.Min)
	}
	if hi {
		max = FormatNumber(n.Max)
	}
	ge, le := ">= ", "<= "
	if n.MinExclusive {
		ge = "> "
	}
	if n.MaxExclusive {
		le = "< "
	}
	switch {
	case lo && hi && !n.MinExclusive && !n.MaxExclusive:
		return fmt.Sprintf("%s from %s to %s", what, min, max)
	case lo && hi && n.MinExclusive && n.MaxExclusive:
		return fmt.Sprintf("%s between %s and %s (exclusive)", what, min, max)
	case lo && hi:
		return fmt.Sprintf("%s %s%s and %s%s", what, ge, min, le, max)
	case lo:
		return what + " " + ge + min
	case hi:
		return what + " " + le + max
	}
	return what
}

// FormatNumber prints a known number: whole numbers in full
// (18446744073709551615), others in the shortest form that reads back the
// same (0.2).
func FormatNumber(v cty.Value) string {
	f := v.AsBigFloat()
	if f.IsInt() {
		return f.Text('f', 0)
	}
	return f.Text('g', -1)
}

// Admits reports whether the known number v is one n admits.
func (n *Number) Admits(v cty.Value) bool {
	f := v.AsBigFloat()
	ok := !n.Whole || f.IsInt()
	if n.Min != cty.NilVal {
		c := f.Cmp(n.Min.AsBigFloat())
		ok = ok && (c > 0 || c == 0 && !n.MinExclusive)
	}
	if n.Max != cty.NilVal {
		c := f.Cmp(n.Max.AsBigFloat())
		ok = ok && (c < 0 || c == 0 && !n.MaxExclusive)
	}
	return ok
}

// Output is one value a step produces.
type Output struct {
	Name string
	// Type of the value. ArtifactType for artifacts; cty.DynamicPseudoType
	// when the type depends on the configuration.
	Type cty.Type
	// Description is one sentence for documentation.
	Description string
	// Media lists the kinds of artifact an artifact output may hold (more
	// than one when the configuration chooses, as predict's Parquet or
	// CSV file). The catalog learns every media type and its label from
	// here: the registry labels artifacts with them, `pipe kinds`
	// documents them, and messages about a wrong artifact name the steps
	// that make the right one.
	Media []Media
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

// ObjectType is the type of an object attribute with the given fields:
// an object with one attribute per field, those not Required optional.
func ObjectType(fields []Attribute) cty.Type {
	types := make(map[string]cty.Type, len(fields))
	var optional []string
	for _, f := range fields {
		types[f.Name] = f.Type
		if !f.Required {
			optional = append(optional, f.Name)
		}
	}
	return cty.ObjectWithOptionalAttrs(types, optional)
}
