package lang

import (
	"fmt"
	"math/big"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// DistributionType is the type of the values uniform and loguniform
// return: a description of a continuous distribution for a random search
// to sample from, not a sample. The search step reads it:
//
//	{ distribution = "uniform" | "loguniform", low = NUMBER, high = NUMBER }
var DistributionType = cty.Object(map[string]cty.Type{
	"distribution": cty.String,
	"low":          cty.Number,
	"high":         cty.Number,
})

// Distribution is a decoded DistributionType value.
type Distribution struct {
	Name      string // "uniform" or "loguniform"
	Low, High float64
}

// IsDistribution reports whether v is a known value of DistributionType.
func IsDistribution(v cty.Value) bool {
	return v.IsWhollyKnown() && !v.IsNull() && v.Type().Equals(DistributionType)
}

// DistributionFromValue decodes a value of DistributionType.
func DistributionFromValue(v cty.Value) (Distribution, error) {
	if !IsDistribution(v) {
		return Distribution{}, fmt.Errorf("lang: %s is not a distribution", v.Type().FriendlyName())
	}
	lo, _ := v.GetAttr("low").AsBigFloat().Float64()
	hi, _ := v.GetAttr("high").AsBigFloat().Float64()
	return Distribution{Name: v.GetAttr("distribution").AsString(), Low: lo, High: hi}, nil
}

func distributionFunc(name, desc string, positive bool) function.Function {
	return function.New(&function.Spec{
		Description: desc,
		Params: []function.Parameter{
			{Name: "low", Type: cty.Number},
			{Name: "high", Type: cty.Number},
		},
		Type: function.StaticReturnType(DistributionType),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			lo, hi := args[0].AsBigFloat(), args[1].AsBigFloat()
			if positive && lo.Sign() <= 0 {
				return cty.NilVal, function.NewArgErrorf(0, "%s needs a low bound above zero, not %s", name, lo.Text('g', -1))
			}
			if lo.Cmp(hi) >= 0 {
				return cty.NilVal, function.NewArgErrorf(1, "the high bound (%s) must be above the low bound (%s)", hi.Text('g', -1), lo.Text('g', -1))
			}
			if lo.IsInf() || hi.IsInf() {
				return cty.NilVal, function.NewArgErrorf(0, "bounds must be finite")
			}
			return cty.ObjectVal(map[string]cty.Value{
				"distribution": cty.StringVal(name),
				"low":          cty.NumberVal(new(big.Float).Copy(lo)),
				"high":         cty.NumberVal(new(big.Float).Copy(hi)),
			}), nil
		},
	})
}

var (
	uniformFunc = distributionFunc("uniform",
		"Describes a value drawn uniformly between low and high, for a random search space.", false)
	logUniformFunc = distributionFunc("loguniform",
		"Describes a value whose logarithm is drawn uniformly between log(low) and log(high), for a random search space over scales such as C.", true)
)
