package search

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"
)

// distribution is a continuous distribution a random search samples a
// parameter from. In a pipeline it is the value of loguniform(low, high)
// or uniform(low, high): an object with exactly the attributes
//
//	{ distribution = "uniform" | "loguniform", low = NUMBER, high = NUMBER }
//
// (the engine's language defines the functions; this package recognises
// the shape of their value and imports nothing of the engine).
type distribution struct {
	name      string // "uniform" or "loguniform"
	low, high float64
}

// distributionAttrs are the attributes of a distribution value.
var distributionAttrs = []string{"distribution", "high", "low"}

// isDistribution reports whether v has the shape of a distribution:
// an object with exactly the attributes distribution, low and high. Its
// values may still be unknown or wrong; decodeDistribution checks them.
func isDistribution(v cty.Value) bool {
	ty := v.Type()
	if !ty.IsObjectType() || len(ty.AttributeTypes()) != len(distributionAttrs) {
		return false
	}
	for _, a := range distributionAttrs {
		if !ty.HasAttribute(a) {
			return false
		}
	}
	return true
}

// decodeDistribution reads a known value of the shape isDistribution
// accepts.
func decodeDistribution(v cty.Value) (distribution, error) {
	name, lo, hi := v.GetAttr("distribution"), v.GetAttr("low"), v.GetAttr("high")
	if name.IsNull() || name.Type() != cty.String || lo.IsNull() || lo.Type() != cty.Number || hi.IsNull() || hi.Type() != cty.Number {
		return distribution{}, fmt.Errorf("want { distribution = \"uniform\" or \"loguniform\", low = number, high = number }, as uniform(low, high) and loguniform(low, high) give")
	}
	d := distribution{name: name.AsString()}
	d.low, _ = lo.AsBigFloat().Float64()
	d.high, _ = hi.AsBigFloat().Float64()
	if d.name != "uniform" && d.name != "loguniform" {
		return d, fmt.Errorf("unknown distribution %q: use uniform(low, high) or loguniform(low, high)", d.name)
	}
	return d, nil
}

// String writes d as the call that makes it.
func (d distribution) String() string {
	return fmt.Sprintf("%s(%g, %g)", d.name, d.low, d.high)
}

// sample draws a value from d.
func (d distribution) sample(r *rng) float64 {
	if d.name == "loguniform" {
		return r.logUniform(d.low, d.high)
	}
	return r.uniform(d.low, d.high)
}
