package steps

import (
	"fmt"
	"slices"

	"github.com/zclconf/go-cty/cty"
)

// checkSchema reports the first way in which s is not well formed.
func checkSchema(s *Schema) error {
	seen := map[string]bool{}
	for _, a := range s.Attributes {
		if seen[a.Name] || a.Name == "depends_on" {
			return fmt.Errorf("attribute %q declared twice or a reserved name", a.Name)
		}
		seen[a.Name] = true
		if err := checkAttribute(a, a.Name); err != nil {
			return err
		}
	}
	seen = map[string]bool{}
	for _, o := range s.Outputs {
		if seen[o.Name] {
			return fmt.Errorf("output %q declared twice", o.Name)
		}
		seen[o.Name] = true
		if len(o.Media) > 0 && !holdsArtifacts(o.Type) {
			return fmt.Errorf("output %q declares media but is of type %s, not an artifact", o.Name, o.Type.FriendlyName())
		}
	}
	return nil
}

// checkAttribute checks that a's constraints fit its type; path names it
// in the message (split.test).
func checkAttribute(a Attribute, path string) error {
	if a.Type == cty.NilType {
		return fmt.Errorf("attribute %s has no type", path)
	}
	if len(a.Accepts) > 0 && !holdsArtifacts(a.Type) {
		return fmt.Errorf("attribute %s accepts media but is of type %s, not an artifact or a list of them", path, a.Type.FriendlyName())
	}
	if n := a.Number; n != nil {
		if a.Type != cty.Number && a.Type != cty.DynamicPseudoType {
			return fmt.Errorf("attribute %s has a Number constraint but is of type %s", path, a.Type.FriendlyName())
		}
		for _, b := range []cty.Value{n.Min, n.Max} {
			if b != cty.NilVal && (b.Type() != cty.Number || b.IsNull() || !b.IsKnown()) {
				return fmt.Errorf("attribute %s: a bound of its Number constraint is not a known number", path)
			}
		}
	}
	if len(a.Fields) == 0 {
		return nil
	}
	if !a.Type.Equals(ObjectType(a.Fields)) {
		return fmt.Errorf("attribute %s declares fields but its type is %s, not steps.ObjectType(fields)", path, a.Type.FriendlyName())
	}
	seen := map[string]bool{}
	for _, f := range a.Fields {
		if seen[f.Name] {
			return fmt.Errorf("attribute %s declares field %q twice", path, f.Name)
		}
		seen[f.Name] = true
		if f.Default != cty.NilVal || f.NotKeyed || f.Explain {
			return fmt.Errorf("field %s.%s sets Default, NotKeyed or Explain, which only attributes have", path, f.Name)
		}
		if err := checkAttribute(f, path+"."+f.Name); err != nil {
			return err
		}
	}
	return nil
}

// holdsArtifacts reports whether a value of type ty is an artifact or a
// collection of them, or may be one (cty.DynamicPseudoType).
func holdsArtifacts(ty cty.Type) bool {
	switch {
	case ty == cty.DynamicPseudoType || ty.Equals(ArtifactType):
		return true
	case ty.IsListType() || ty.IsSetType() || ty.IsMapType():
		return holdsArtifacts(ty.ElementType())
	}
	return false
}

// attributeMedia returns the media a and its fields accept.
func attributeMedia(a Attribute) []Media {
	ms := slices.Clone(a.Accepts)
	for _, f := range a.Fields {
		ms = append(ms, attributeMedia(f)...)
	}
	return ms
}
