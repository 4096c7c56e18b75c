package lrconfig_test

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps/shared/lrconfig"
)

func Example() {
	// What a train block's params = { C = 0.1, penalty = "l1", class_weight = "balanced" } evaluates to.
	v := cty.ObjectVal(map[string]cty.Value{
		"C":            cty.NumberFloatVal(0.1),
		"penalty":      cty.StringVal("l1"),
		"class_weight": cty.StringVal("balanced"),
	})
	p, err := lrconfig.Decode(v, cty.GetAttrPath("params"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s C=%v class_weight=%s max_iter=%d\n", p.Penalty, p.C, p.ClassWeight, p.MaxIter)

	// The canonical object, as a search's best output holds it.
	for name, val := range lrconfig.ToValue(p).AsValueMap() {
		if val.IsNull() {
			fmt.Printf("%s = null\n", name)
		} else if val.Type() == cty.Number {
			fmt.Printf("%s = %s\n", name, val.AsBigFloat().Text('g', 6))
		} else if val.Type() == cty.String {
			fmt.Printf("%s = %q\n", name, val.AsString())
		} else {
			fmt.Printf("%s = %v\n", name, val.True())
		}
	}

	// A typo is an error at the key, with a suggestion.
	_, err = lrconfig.Decode(cty.ObjectVal(map[string]cty.Value{"c": cty.NumberIntVal(1)}), cty.GetAttrPath("params"))
	fmt.Println(err)
	// Unordered output:
	// l1 C=0.1 class_weight=balanced max_iter=100
	// C = 0.1
	// class_weight = "balanced"
	// fit_intercept = true
	// l1_ratio = null
	// max_iter = 100
	// penalty = "l1"
	// standardize = false
	// tol = 0.0001
	// params.c: Unknown parameter: "c" is not a logistic regression parameter. Did you mean "C"?
}
