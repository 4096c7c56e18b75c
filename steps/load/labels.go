package load

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// labelValue is a positive or negative label as configured. A string
// matches a cell's text exactly; a number matches any cell that parses as
// the same number ("1", "1.0", an integer column's 1); a bool matches
// true/false in any of strconv.ParseBool's spellings ("true", "True",
// "1", ...) or a boolean column.
type labelValue struct {
	kind int // labelString, labelNumber, labelBool
	s    string
	f    float64
	b    bool
}

const (
	labelString = iota
	labelNumber
	labelBool
)

func newLabelValue(v cty.Value) (labelValue, error) {
	switch v.Type() {
	case cty.String:
		if v.AsString() == "" {
			return labelValue{}, fmt.Errorf("the label value is empty; name the value of the label column, e.g. \"private\" or 1")
		}
		return labelValue{kind: labelString, s: v.AsString()}, nil
	case cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return labelValue{kind: labelNumber, f: f, s: v.AsBigFloat().Text('g', -1)}, nil
	case cty.Bool:
		return labelValue{kind: labelBool, b: v.True(), s: strconv.FormatBool(v.True())}, nil
	}
	return labelValue{}, fmt.Errorf("a label value must be a string, number or bool, not %s", v.Type().FriendlyName())
}

func (l labelValue) String() string {
	if l.kind == labelString {
		return strconv.Quote(l.s)
	}
	return l.s
}

// matches reports whether a cell's text means this value.
func (l labelValue) matches(cell []byte) bool {
	switch l.kind {
	case labelString:
		return string(cell) == l.s
	case labelNumber:
		f, err := strconv.ParseFloat(strings.TrimSpace(string(cell)), 64)
		return err == nil && f == l.f
	default:
		b, err := strconv.ParseBool(strings.TrimSpace(string(cell)))
		return err == nil && b == l.b
	}
}

// labeler maps label cells to classes.
type labeler struct {
	positive labelValue
	negative *labelValue
}

// class returns the class of a label cell, or a reason it has none.
func (l *labeler) class(cell []byte) (uint8, string) {
	if len(cell) == 0 {
		return 0, "empty label"
	}
	if l.positive.matches(cell) {
		return 1, ""
	}
	if l.negative == nil || l.negative.matches(cell) {
		return 0, ""
	}
	return 0, fmt.Sprintf("label %s is neither the positive %s nor the negative %s", quoteCell(cell), l.positive, l.negative)
}

// quoteCell quotes a cell for a message, cut short when long.
func quoteCell(cell []byte) string {
	const max = 40
	if len(cell) > max {
		return strconv.Quote(string(cell[:max])) + "…"
	}
	return strconv.Quote(string(cell))
}
