package eval

import (
	"fmt"
	"slices"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
)

// Constraints checks cfg, the configuration of a step whose kind has
// schema s, against the constraints the schema declares: the kinds of
// artifact an attribute accepts (steps.Attribute.Accepts), the numbers it
// takes (steps.Attribute.Number), and those of the fields of an object
// attribute (steps.Attribute.Fields). Values not known yet, and nulls, are
// skipped. cfg must be unmarked.
//
// It returns cfg with every attribute at fault made unknown, so that the
// kind's Validate, which skips unknown values, reports nothing more about
// it, and the problems found.
//
// kinds, when not nil, is the catalog the kind is registered in: messages
// about a wrong artifact then say what it is and which steps make the
// right one.
func Constraints(s *steps.Schema, cfg cty.Value, kinds *steps.Catalog) (cty.Value, []*steps.AttrError) {
	if cfg.IsNull() || !cfg.IsKnown() || !cfg.Type().IsObjectType() {
		return cfg, nil
	}
	var errs []*steps.AttrError
	attrs := cfg.AsValueMap()
	for _, a := range s.Attributes {
		v, ok := attrs[a.Name]
		if !ok {
			continue
		}
		if bad := checkConstraints(a, cty.GetAttrPath(a.Name), v, kinds); len(bad) > 0 {
			errs = append(errs, bad...)
			attrs[a.Name] = cty.UnknownVal(v.Type())
		}
	}
	if len(errs) == 0 {
		return cfg, nil
	}
	return cty.ObjectVal(attrs), errs
}

func checkConstraints(a steps.Attribute, path cty.Path, v cty.Value, kinds *steps.Catalog) []*steps.AttrError {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	var errs []*steps.AttrError
	if len(a.Accepts) > 0 {
		errs = append(errs, checkMedia(a.Accepts, path, v, kinds)...)
	}
	if a.Number != nil && v.Type() == cty.Number {
		if err := checkNumber(a.Number, path, v); err != nil {
			errs = append(errs, err)
		}
	}
	if len(a.Fields) > 0 && v.Type().IsObjectType() {
		for _, f := range a.Fields {
			if v.Type().HasAttribute(f.Name) {
				errs = append(errs, checkConstraints(f, path.Copy().GetAttr(f.Name), v.GetAttr(f.Name), kinds)...)
			}
		}
	}
	return errs
}

// checkMedia refuses every known artifact in v whose media type is not
// one of accepts.
func checkMedia(accepts []steps.Media, path cty.Path, v cty.Value, kinds *steps.Catalog) []*steps.AttrError {
	var errs []*steps.AttrError
	cty.Walk(v, func(at cty.Path, v cty.Value) (bool, error) {
		if !v.Type().Equals(steps.ArtifactType) {
			return v.IsKnown() && !v.IsNull(), nil
		}
		mt := v.GetAttr("media_type")
		if !v.IsKnown() || v.IsNull() || !mt.IsKnown() || mt.IsNull() {
			return false, nil
		}
		if !slices.ContainsFunc(accepts, func(m steps.Media) bool { return m.Type == mt.AsString() }) {
			full := append(path.Copy(), at...)
			errs = append(errs, steps.Errorf(full, "Wrong kind of artifact", "%s", wrongMedia(full, mt.AsString(), accepts, kinds)))
		}
		return false, nil
	})
	return errs
}

// wrongMedia explains that the artifact at path, of media type got, is
// none of accepts, and where to find one that is.
func wrongMedia(path cty.Path, got string, accepts []steps.Media, kinds *steps.Catalog) string {
	given := "an artifact of type " + got
	if kinds != nil {
		if m, ok := kinds.MediaOf(got); ok {
			given = withArticle(m.Label) + " artifact (" + got + ")"
		}
	}
	var wanted []string
	for _, m := range accepts {
		w := withArticle(m.Label) + " artifact (" + m.Type + ")"
		if !slices.Contains(wanted, w) {
			wanted = append(wanted, w)
		}
	}
	detail := fmt.Sprintf("%s is %s, not %s.", steps.FormatPath(path), given, orList(wanted))
	if kinds == nil {
		return detail
	}
	var producers []steps.Producer
	for _, m := range accepts {
		for _, p := range kinds.Producers(m.Type) {
			if !slices.Contains(producers, p) {
				producers = append(producers, p)
			}
		}
	}
	if len(producers) == 0 {
		return detail
	}
	var parts []string
	for i := 0; i < len(producers); {
		kind := producers[i].Kind
		var outputs []string
		for ; i < len(producers) && producers[i].Kind == kind; i++ {
			outputs = append(outputs, producers[i].Output)
		}
		parts = append(parts, fmt.Sprintf("the %s output of %s step", orList(outputs), withArticle(kind)))
	}
	return fmt.Sprintf("%s Give %s, e.g. %s.", detail, orList(parts), producers[0].Example())
}

// checkNumber checks a known number against n.
func checkNumber(n *steps.Number, path cty.Path, v cty.Value) *steps.AttrError {
	if n.Admits(v) {
		return nil
	}
	name := steps.FormatPath(path)
	return steps.Errorf(path, "Invalid "+name, "%s must be %s, not %s.", name, n, steps.FormatNumber(v))
}

// withArticle puts "a" or "an" before word.
func withArticle(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

// orList joins words as "a", "a or b", "a, b or c".
func orList(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
