package lrconfig

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
)

var root = cty.GetAttrPath("params")

func obj(m map[string]cty.Value) cty.Value { return cty.ObjectVal(m) }

func TestDecode(t *testing.T) {
	def := logreg.DefaultParams()
	tests := []struct {
		name string
		v    cty.Value
		want func(p *logreg.Params)
	}{
		{"null", cty.NullVal(cty.DynamicPseudoType), func(*logreg.Params) {}},
		{"empty", cty.EmptyObjectVal, func(*logreg.Params) {}},
		{"every key", obj(map[string]cty.Value{
			"C": cty.NumberFloatVal(0.1), "penalty": cty.StringVal("elasticnet"), "l1_ratio": cty.NumberFloatVal(0.5),
			"class_weight": cty.StringVal("balanced"), "max_iter": cty.NumberIntVal(200), "tol": cty.NumberFloatVal(1e-6),
			"fit_intercept": cty.False, "standardize": cty.True,
		}), func(p *logreg.Params) {
			p.C, p.Penalty, p.L1Ratio, p.ClassWeight = 0.1, logreg.ElasticNet, 0.5, logreg.ClassWeight{Kind: logreg.Balanced}
			p.MaxIter, p.Tol, p.FitIntercept, p.Standardize = 200, 1e-6, false, true
		}},
		{"null keys take defaults", obj(map[string]cty.Value{
			"C": cty.NullVal(cty.Number), "class_weight": cty.NullVal(cty.String),
		}), func(*logreg.Params) {}},
		{"class weights by class", obj(map[string]cty.Value{
			"class_weight": obj(map[string]cty.Value{"1": cty.NumberIntVal(3)}),
		}), func(p *logreg.Params) {
			p.ClassWeight = logreg.ClassWeight{Kind: logreg.Explicit, Negative: 1, Positive: 3}
		}},
		{"strings convert", cty.MapVal(map[string]cty.Value{
			"C": cty.StringVal("0.25"), "penalty": cty.StringVal("l1"), "fit_intercept": cty.StringVal("false"),
		}), func(p *logreg.Params) { p.C, p.Penalty, p.FitIntercept = 0.25, logreg.L1, false }},
		{"penalty none", obj(map[string]cty.Value{"penalty": cty.StringVal("none")}),
			func(p *logreg.Params) { p.Penalty = logreg.NoPenalty }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := def
			tt.want(&want)
			got, err := Decode(tt.v, root)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got != want {
				t.Errorf("Decode = %+v, want %+v", got, want)
			}
			if errs := Validate(tt.v, root); len(errs) > 0 {
				t.Errorf("Validate: %v", errs)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		v       cty.Value
		path    string // where the error points
		summary string
		detail  string // a part of the detail
	}{
		{"not an object", cty.StringVal("l1"), "params", "Invalid parameters", "must be an object"},
		{"typo", obj(map[string]cty.Value{"c": cty.NumberIntVal(1)}), "params.c", "Unknown parameter", `Did you mean "C"?`},
		{"typo 2", obj(map[string]cty.Value{"penality": cty.StringVal("l1")}), "params.penality", "Unknown parameter", `Did you mean "penalty"?`},
		{"far off", obj(map[string]cty.Value{"alpha": cty.NumberIntVal(1)}), "params.alpha", "Unknown parameter", "The parameters are C, class_weight"},
		{"map key", cty.MapVal(map[string]cty.Value{"gamma": cty.NumberIntVal(1)}), `params["gamma"]`, "Unknown parameter", ""},
		{"C zero", obj(map[string]cty.Value{"C": cty.Zero}), "params.C", "Invalid C", "not 0"},
		{"C infinite", obj(map[string]cty.Value{"C": cty.PositiveInfinity}), "params.C", "Invalid C", "finite"},
		{"C huge", obj(map[string]cty.Value{"C": cty.MustParseNumberVal("1e400")}), "params.C", "Invalid C", "1e+400"},
		{"C string", obj(map[string]cty.Value{"C": cty.StringVal("big")}), "params.C", "Not a number", `"big"`},
		{"penalty", obj(map[string]cty.Value{"penalty": cty.StringVal("l3")}), "params.penalty", "Unknown penalty", `"l3"`},
		{"penalty number", obj(map[string]cty.Value{"penalty": cty.NumberIntVal(1)}), "params.penalty", "Not a string", "number"},
		{"l1_ratio range", obj(map[string]cty.Value{"penalty": cty.StringVal("elasticnet"), "l1_ratio": cty.NumberFloatVal(1.5)}), "params.l1_ratio", "Invalid l1_ratio", "1.5"},
		{"l1_ratio with l2", obj(map[string]cty.Value{"l1_ratio": cty.NumberFloatVal(0.5)}), "params.l1_ratio", "l1_ratio without elasticnet", `penalty is "l2"`},
		{"elasticnet alone", obj(map[string]cty.Value{"penalty": cty.StringVal("elasticnet")}), "params.penalty", "Missing l1_ratio", "l1_ratio = 0.5"},
		{"class_weight", obj(map[string]cty.Value{"class_weight": cty.StringVal("auto")}), "params.class_weight", "Unknown class_weight", `"auto"`},
		{"class_weight type", obj(map[string]cty.Value{"class_weight": cty.True}), "params.class_weight", "Invalid class_weight", "bool"},
		{"class name", obj(map[string]cty.Value{"class_weight": obj(map[string]cty.Value{"private": cty.NumberIntVal(2)})}),
			`params.class_weight["private"]`, "Unknown class", `the classes are "0" and "1"`},
		{"class weight zero", obj(map[string]cty.Value{"class_weight": obj(map[string]cty.Value{"0": cty.Zero})}),
			`params.class_weight["0"]`, "Invalid class weight", "> 0"},
		{"max_iter fraction", obj(map[string]cty.Value{"max_iter": cty.NumberFloatVal(10.5)}), "params.max_iter", "Invalid max_iter", "10.5"},
		{"max_iter zero", obj(map[string]cty.Value{"max_iter": cty.Zero}), "params.max_iter", "Invalid max_iter", "at least 1"},
		{"tol", obj(map[string]cty.Value{"tol": cty.NumberIntVal(-1)}), "params.tol", "Invalid tol", "-1"},
		{"bool", obj(map[string]cty.Value{"standardize": cty.StringVal("yes")}), "params.standardize", "Not a bool", `"yes"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.v, root)
			ae, ok := err.(*steps.AttrError)
			if !ok {
				t.Fatalf("Decode error = %v (%T), want a *steps.AttrError", err, err)
			}
			if got := steps.FormatPath(ae.Path); got != tt.path {
				t.Errorf("path = %s, want %s", got, tt.path)
			}
			if ae.Summary != tt.summary || !strings.Contains(ae.Detail, tt.detail) {
				t.Errorf("error = %q / %q, want %q / containing %q", ae.Summary, ae.Detail, tt.summary, tt.detail)
			}
			errs := Validate(tt.v, root)
			if len(errs) != 1 || errs[0].Error() != ae.Error() {
				t.Errorf("Validate = %v, want [%v]", errs, ae)
			}
		})
	}
}

func TestValidateUnknown(t *testing.T) {
	tests := []struct {
		name string
		v    cty.Value
		want []string // paths of the problems
	}{
		{"wholly unknown", cty.DynamicVal, nil},
		{"unknown object", cty.UnknownVal(cty.Object(map[string]cty.Type{"C": cty.Number})), nil},
		{"unknown C, bad penalty", obj(map[string]cty.Value{"C": cty.UnknownVal(cty.Number), "penalty": cty.StringVal("l3")}), []string{"params.penalty"}},
		{"unknown penalty skips l1_ratio check", obj(map[string]cty.Value{"penalty": cty.UnknownVal(cty.String), "l1_ratio": cty.NumberFloatVal(0.5)}), nil},
		{"unknown l1_ratio skips elasticnet check", obj(map[string]cty.Value{"penalty": cty.StringVal("elasticnet"), "l1_ratio": cty.DynamicVal}), nil},
		{"all problems", obj(map[string]cty.Value{"C": cty.NumberIntVal(-1), "tol": cty.NumberIntVal(-1), "x": cty.True}), []string{"params.C", "params.tol", "params.x"}},
		{"marked", obj(map[string]cty.Value{"C": cty.NumberIntVal(-1).Mark("sensitive")}), []string{"params.C"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range Validate(tt.v, root) {
				got = append(got, steps.FormatPath(e.Path))
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("Validate problems at %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := Decode(obj(map[string]cty.Value{"C": cty.UnknownVal(cty.Number)}), root); err == nil {
		t.Error("Decode accepted an unknown value")
	}
	if _, err := Decode(cty.DynamicVal, root); err == nil {
		t.Error("Decode accepted an unknown params value")
	}
}

func TestToValueRoundTrip(t *testing.T) {
	ps := []logreg.Params{
		logreg.DefaultParams(),
		{Penalty: logreg.L1, C: 0.1, ClassWeight: logreg.ClassWeight{Kind: logreg.Balanced}, MaxIter: 1, Tol: 0, Standardize: true},
		{Penalty: logreg.ElasticNet, C: 3.7e-3, L1Ratio: 0.15, ClassWeight: logreg.ClassWeight{Kind: logreg.Explicit, Negative: 0.5, Positive: 2.5}, FitIntercept: true, MaxIter: 1000, Tol: 1e-8},
		{Penalty: logreg.ElasticNet, C: 1, L1Ratio: 0, MaxIter: 100, Tol: 1e-4},
		{Penalty: logreg.NoPenalty, C: 1, MaxIter: 100, Tol: 1e-4, FitIntercept: true},
	}
	for _, p := range ps {
		v := ToValue(p)
		var keys []string
		for name := range v.Type().AttributeTypes() {
			keys = append(keys, name)
		}
		if len(keys) != len(names) {
			t.Errorf("ToValue(%+v) has keys %v, want %v", p, keys, names)
		}
		got, err := Decode(v, root)
		if err != nil {
			t.Fatalf("Decode(ToValue(%+v)): %v", p, err)
		}
		if got != p {
			t.Errorf("Decode(ToValue(p)) = %+v, want %+v", got, p)
		}
		if !ToValue(got).RawEquals(v) {
			t.Errorf("ToValue is not stable for %+v", p)
		}
	}
	// Numbers are the exact float64 values.
	c := ToValue(logreg.Params{Penalty: logreg.L2, C: 0.1, MaxIter: 100}).GetAttr("C").AsBigFloat()
	if f, acc := c.Float64(); f != 0.1 || acc.String() != "Exact" {
		t.Errorf("C = %s, want exactly float64(0.1)", c.Text('g', -1))
	}
}

func TestValidateValue(t *testing.T) {
	if e := ValidateValue("C", cty.NumberFloatVal(0.5), cty.GetAttrPath("space").GetAttr("C").IndexInt(0)); e != nil {
		t.Errorf("C = 0.5: %v", e)
	}
	if e := ValidateValue("l1_ratio", cty.NumberFloatVal(0.5), root); e != nil {
		t.Errorf("l1_ratio alone is fine on its own: %v", e)
	}
	if e := ValidateValue("C", cty.UnknownVal(cty.Number), root); e != nil {
		t.Errorf("unknown: %v", e)
	}
	e := ValidateValue("penalty", cty.StringVal("l0"), cty.GetAttrPath("space").GetAttr("penalty").IndexInt(1))
	if e == nil || steps.FormatPath(e.Path) != "space.penalty[1]" {
		t.Errorf("penalty l0: %v", e)
	}
	e = ValidateValue("Penalty", cty.StringVal("l1"), cty.GetAttrPath("space").GetAttr("Penalty"))
	if e == nil || !strings.Contains(e.Detail, `Did you mean "penalty"?`) {
		t.Errorf("Penalty: %v", e)
	}
}
