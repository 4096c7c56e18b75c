package lrconfig

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
)

// The keys of a params object, sorted as cty sorts object attributes.
const (
	KeyC            = "C"
	KeyClassWeight  = "class_weight"
	KeyFitIntercept = "fit_intercept"
	KeyL1Ratio      = "l1_ratio"
	KeyMaxIter      = "max_iter"
	KeyPenalty      = "penalty"
	KeyStandardize  = "standardize"
	KeyTol          = "tol"
)

var names = []string{KeyC, KeyClassWeight, KeyFitIntercept, KeyL1Ratio, KeyMaxIter, KeyPenalty, KeyStandardize, KeyTol}

// Names returns the keys a params object may hold, sorted.
func Names() []string { return slices.Clone(names) }

// Decode converts a params value (see the package documentation) into
// Params, starting from logreg.DefaultParams. v must be wholly known;
// null means all defaults. path is the path of the attribute that holds
// v, e.g. cty.GetAttrPath("params"). The error, when not nil, is a
// *steps.AttrError for the first problem found, with a path under path.
func Decode(v cty.Value, path cty.Path) (logreg.Params, error) {
	p, errs := decode(v, path, false)
	if len(errs) > 0 {
		return logreg.Params{}, errs[0]
	}
	return p, nil
}

// Validate returns every problem in a params value, as Decode would find
// them, skipping what is not known yet: it is meant for plan time, when
// v, or some of its keys, may be the output of a step that has not run.
// A wholly unknown or null v has no problems.
func Validate(v cty.Value, path cty.Path) []*steps.AttrError {
	_, errs := decode(v, path, true)
	return errs
}

// ValidateValue checks the value of one key on its own, without the
// checks that involve two keys: it is for a search space, whose
// candidate values are checked one by one. path is the path of v
// itself. An unknown key is an error that suggests the closest known
// one; an unknown or null v is no problem.
func ValidateValue(key string, v cty.Value, path cty.Path) *steps.AttrError {
	if !slices.Contains(names, key) {
		return unknownKey(key, path)
	}
	v, _ = v.UnmarkDeep()
	if !v.IsWhollyKnown() || v.IsNull() {
		return nil
	}
	p := logreg.DefaultParams()
	return set(&p, key, v, path)
}

// ToValue returns p as the canonical params object: every key, numbers
// exactly as the float64 values in p, class_weight as "none",
// "balanced" or { "0" = w0, "1" = w1 }, and l1_ratio null unless the
// penalty is "elasticnet". Decode(ToValue(p)) gives p back for any p
// that passes p.Validate().
func ToValue(p logreg.Params) cty.Value {
	l1 := cty.NullVal(cty.Number)
	if p.Penalty == logreg.ElasticNet {
		l1 = cty.NumberFloatVal(p.L1Ratio)
	}
	var cw cty.Value
	switch p.ClassWeight.Kind {
	case logreg.Balanced:
		cw = cty.StringVal("balanced")
	case logreg.Explicit:
		cw = cty.ObjectVal(map[string]cty.Value{
			"0": cty.NumberFloatVal(p.ClassWeight.Negative),
			"1": cty.NumberFloatVal(p.ClassWeight.Positive),
		})
	default:
		cw = cty.StringVal("none")
	}
	return cty.ObjectVal(map[string]cty.Value{
		KeyC:            cty.NumberFloatVal(p.C),
		KeyClassWeight:  cw,
		KeyFitIntercept: cty.BoolVal(p.FitIntercept),
		KeyL1Ratio:      l1,
		KeyMaxIter:      cty.NumberIntVal(int64(p.MaxIter)),
		KeyPenalty:      cty.StringVal(string(p.Penalty)),
		KeyStandardize:  cty.BoolVal(p.Standardize),
		KeyTol:          cty.NumberFloatVal(p.Tol),
	})
}

// decode does the work of Decode and Validate; with partial set it skips
// unknown values instead of reporting them.
func decode(v cty.Value, path cty.Path, partial bool) (logreg.Params, []*steps.AttrError) {
	p := logreg.DefaultParams()
	v, _ = v.UnmarkDeep()
	if !v.IsKnown() {
		if partial {
			return p, nil
		}
		return p, []*steps.AttrError{steps.Errorf(path, "Parameters not known",
			"%s is not known yet; it must be known when the step runs.", steps.FormatPath(path))}
	}
	if v.IsNull() {
		return p, nil
	}
	ty := v.Type()
	if !ty.IsObjectType() && !ty.IsMapType() {
		return p, []*steps.AttrError{steps.Errorf(path, "Invalid parameters",
			`%s must be an object such as { C = 0.1, penalty = "l1" }, not %s.`, steps.FormatPath(path), ty.FriendlyName())}
	}

	var errs []*steps.AttrError
	// given holds the keys present and not null; unknown holds those whose
	// value is not known yet (partial only).
	given, unknown := map[string]bool{}, map[string]bool{}
	keys := make([]string, 0, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		k, _ := it.Element()
		keys = append(keys, k.AsString())
	}
	slices.Sort(keys)
	for _, key := range keys {
		kv := elem(v, key)
		kp := keyPath(path, ty, key)
		if !slices.Contains(names, key) {
			errs = append(errs, unknownKey(key, kp))
			continue
		}
		if !kv.IsWhollyKnown() {
			if partial {
				unknown[key] = true
				continue
			}
			errs = append(errs, steps.Errorf(kp, "Value not known",
				"%s is not known yet; it must be known when the step runs.", steps.FormatPath(kp)))
			continue
		}
		if kv.IsNull() {
			continue
		}
		given[key] = true
		if err := set(&p, key, kv, kp); err != nil {
			errs = append(errs, err)
		}
	}

	// Checks that involve two keys, once both are known.
	penaltyKnown := !unknown[KeyPenalty]
	switch {
	case given[KeyL1Ratio] && penaltyKnown && p.Penalty != logreg.ElasticNet:
		errs = append(errs, steps.Errorf(keyPath(path, ty, KeyL1Ratio), "l1_ratio without elasticnet",
			`l1_ratio is only used with penalty = "elasticnet" (penalty is %q); remove l1_ratio or set penalty = "elasticnet".`, string(p.Penalty)))
	case p.Penalty == logreg.ElasticNet && !given[KeyL1Ratio] && !unknown[KeyL1Ratio]:
		errs = append(errs, steps.Errorf(keyPath(path, ty, KeyPenalty), "Missing l1_ratio",
			`penalty = "elasticnet" mixes l1 and l2: set l1_ratio to the share of l1, between 0 (pure l2) and 1 (pure l1), e.g. l1_ratio = 0.5.`))
	}
	if len(errs) == 0 && !partial {
		// A safety net: every rule of logreg.Params should have been
		// checked above, at its key.
		if err := p.Validate(); err != nil {
			errs = append(errs, steps.Errorf(path, "Invalid parameters", "%s", strings.TrimPrefix(err.Error(), "logreg: ")))
		}
	}
	return p, errs
}

// elem returns the value of key in an object or map value.
func elem(v cty.Value, key string) cty.Value {
	if v.Type().IsObjectType() {
		return v.GetAttr(key)
	}
	return v.Index(cty.StringVal(key))
}

// keyPath returns the path of key under path: an attribute step for an
// object (params.C), an index step for a map (params["C"]).
func keyPath(path cty.Path, ty cty.Type, key string) cty.Path {
	p := slices.Clip(path)
	if ty.IsMapType() {
		return p.Index(cty.StringVal(key))
	}
	return p.GetAttr(key)
}

func unknownKey(key string, path cty.Path) *steps.AttrError {
	detail := fmt.Sprintf("%q is not a logistic regression parameter.", key)
	if s := suggest(key); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	} else {
		detail += " The parameters are " + strings.Join(names, ", ") + "."
	}
	return &steps.AttrError{Path: path, Summary: "Unknown parameter", Detail: detail}
}

// suggest returns the key closest to name when it is close enough to be a
// likely typo (case is ignored), or "".
func suggest(name string) string {
	best, bestDist := "", 3
	for _, c := range names {
		if d := levenshtein.Distance(strings.ToLower(name), strings.ToLower(c), nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// set stores the known, non-null value v of key in p, checking it on its
// own.
func set(p *logreg.Params, key string, v cty.Value, path cty.Path) *steps.AttrError {
	name := steps.FormatPath(path)
	switch key {
	case KeyC:
		f, err := number(v, path)
		if err != nil {
			return err
		}
		if !(f > 0) || math.IsInf(f, 0) {
			return steps.Errorf(path, "Invalid C", "%s must be a finite number > 0 (the inverse of the regularisation strength: smaller is stronger), not %s.", name, fmtNumber(v))
		}
		p.C = f
	case KeyPenalty:
		s, err := str(v, path)
		if err != nil {
			return err
		}
		switch pen := logreg.Penalty(s); pen {
		case logreg.L2, logreg.L1, logreg.ElasticNet, logreg.NoPenalty:
			p.Penalty = pen
		default:
			return steps.Errorf(path, "Unknown penalty", `%s must be "l2", "l1", "elasticnet" or "none", not %q.`, name, s)
		}
	case KeyL1Ratio:
		f, err := number(v, path)
		if err != nil {
			return err
		}
		if !(f >= 0 && f <= 1) {
			return steps.Errorf(path, "Invalid l1_ratio", "%s is the share of the l1 penalty, between 0 and 1, not %s.", name, fmtNumber(v))
		}
		p.L1Ratio = f
	case KeyClassWeight:
		cw, err := classWeight(v, path)
		if err != nil {
			return err
		}
		p.ClassWeight = cw
	case KeyMaxIter:
		f, err := number(v, path)
		if err != nil {
			return err
		}
		n, ierr := steps.IntValue(cty.NumberFloatVal(f), path)
		if ierr != nil || f > 1e9 {
			return steps.Errorf(path, "Invalid max_iter", "%s must be a whole number between 1 and 1000000000, not %s.", name, fmtNumber(v))
		}
		if n < 1 {
			return steps.Errorf(path, "Invalid max_iter", "%s must be at least 1, not %d.", name, n)
		}
		p.MaxIter = n
	case KeyTol:
		f, err := number(v, path)
		if err != nil {
			return err
		}
		if !(f >= 0) || math.IsInf(f, 0) {
			return steps.Errorf(path, "Invalid tol", "%s must be a finite number >= 0, not %s.", name, fmtNumber(v))
		}
		p.Tol = f
	case KeyFitIntercept, KeyStandardize:
		cv, err := convert.Convert(v, cty.Bool)
		if err != nil {
			return steps.Errorf(path, "Not a bool", "%s must be true or false, not %s.", name, friendly(v))
		}
		if key == KeyFitIntercept {
			p.FitIntercept = cv.True()
		} else {
			p.Standardize = cv.True()
		}
	}
	return nil
}

// classWeight decodes "none", "balanced" or a map of the classes "0" and
// "1" to their weights.
func classWeight(v cty.Value, path cty.Path) (logreg.ClassWeight, *steps.AttrError) {
	name := steps.FormatPath(path)
	ty := v.Type()
	if ty == cty.String {
		switch s := v.AsString(); s {
		case "none":
			return logreg.ClassWeight{}, nil
		case "balanced":
			return logreg.ClassWeight{Kind: logreg.Balanced}, nil
		default:
			return logreg.ClassWeight{}, steps.Errorf(path, "Unknown class_weight",
				`%s must be "none", "balanced" or a map of the classes to their weights such as { "0" = 1, "1" = 3 }, not %q.`, name, s)
		}
	}
	if !ty.IsObjectType() && !ty.IsMapType() {
		return logreg.ClassWeight{}, steps.Errorf(path, "Invalid class_weight",
			`%s must be "none", "balanced" or a map of the classes to their weights such as { "0" = 1, "1" = 3 }, not %s.`, name, ty.FriendlyName())
	}
	cw := logreg.ClassWeight{Kind: logreg.Explicit, Negative: 1, Positive: 1}
	for it := v.ElementIterator(); it.Next(); {
		k, w := it.Element()
		class := k.AsString()
		wp := slices.Clip(path).Index(cty.StringVal(class))
		if class != "0" && class != "1" {
			return logreg.ClassWeight{}, steps.Errorf(wp, "Unknown class",
				`%s names class %q; the classes are "0" and "1" (class 1 is the one the load step's positive names).`, name, class)
		}
		if w.IsNull() {
			continue
		}
		f, err := number(w, wp)
		if err != nil {
			return logreg.ClassWeight{}, err
		}
		if !(f > 0) || math.IsInf(f, 0) {
			return logreg.ClassWeight{}, steps.Errorf(wp, "Invalid class weight",
				"The weight of class %s must be a finite number > 0, not %s.", class, fmtNumber(w))
		}
		if class == "0" {
			cw.Negative = f
		} else {
			cw.Positive = f
		}
	}
	return cw, nil
}

// number converts v to a float64, ±Inf when it is beyond float64's range.
func number(v cty.Value, path cty.Path) (float64, *steps.AttrError) {
	cv, err := convert.Convert(v, cty.Number)
	if err != nil || cv.IsNull() {
		return 0, steps.Errorf(path, "Not a number", "%s must be a number, not %s.", steps.FormatPath(path), friendly(v))
	}
	f, _ := cv.AsBigFloat().Float64()
	return f, nil
}

func str(v cty.Value, path cty.Path) (string, *steps.AttrError) {
	if v.Type() != cty.String {
		return "", steps.Errorf(path, "Not a string", "%s must be a string, not %s.", steps.FormatPath(path), friendly(v))
	}
	return v.AsString(), nil
}

// friendly describes a value of the wrong type for a message.
func friendly(v cty.Value) string {
	if v.Type() == cty.String {
		return fmt.Sprintf("%q", v.AsString())
	}
	return v.Type().FriendlyName()
}

// fmtNumber formats a number value as the user wrote it.
func fmtNumber(v cty.Value) string {
	cv, err := convert.Convert(v, cty.Number)
	if err != nil || cv.IsNull() {
		return friendly(v)
	}
	return cv.AsBigFloat().Text('g', -1)
}
