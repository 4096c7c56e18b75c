package steps

import (
	"math/big"

	"github.com/zclconf/go-cty/cty"
)

// String returns a string attribute, or "" when it is null.
func (in *Inputs) String(name string) string {
	v := in.Attr(name)
	if v.IsNull() {
		return ""
	}
	return v.AsString()
}

// Bool returns a bool attribute, or false when it is null.
func (in *Inputs) Bool(name string) bool {
	v := in.Attr(name)
	if v.IsNull() {
		return false
	}
	return v.True()
}

// Float returns a number attribute as a float64, or def when it is null.
func (in *Inputs) Float(name string, def float64) float64 {
	v := in.Attr(name)
	if v.IsNull() {
		return def
	}
	f, _ := v.AsBigFloat().Float64()
	return f
}

// Int returns a whole-number attribute, or def when it is null. A value
// that is not a whole number in the range of int is an AttrError.
func (in *Inputs) Int(name string, def int) (int, error) {
	v := in.Attr(name)
	if v.IsNull() {
		return def, nil
	}
	return IntValue(v, cty.GetAttrPath(name))
}

// IntValue converts a number value to an int, or returns an AttrError for
// path when it is not a whole number in the range of int.
func IntValue(v cty.Value, path cty.Path) (int, error) {
	bf := v.AsBigFloat()
	i, acc := bf.Int64()
	if acc != big.Exact || int64(int(i)) != i {
		return 0, Errorf(path, "Not a whole number", "%s must be a whole number, not %s.", FormatPath(path), bf.Text('g', -1))
	}
	return int(i), nil
}

// Artifact returns an artifact attribute.
func (in *Inputs) Artifact(name string) (Artifact, error) {
	a, err := ArtifactFromValue(in.Attr(name))
	if err != nil {
		return Artifact{}, &AttrError{Path: cty.GetAttrPath(name), Summary: "Not an artifact", Detail: err.Error()}
	}
	return a, nil
}
