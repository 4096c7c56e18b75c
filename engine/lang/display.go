package lang

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// Display renders a value the way a user would write it in a pipeline:
// "text", 0.001, true, null, [1, 2], { C = 1, penalty = "l2" }. Unknown
// values show as (known after apply); sensitive ones as (sensitive value);
// artifacts as their digest. Output is deterministic (keys sorted) and
// single-line.
func Display(v cty.Value) string {
	var b strings.Builder
	display(&b, v)
	return b.String()
}

// DisplayNumber renders a number exactly and briefly: 1, 0.001, 1e-06.
func DisplayNumber(v cty.Value) string {
	bf := v.AsBigFloat()
	if f, acc := bf.Float64(); acc == 0 {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return bf.Text('g', -1)
}

func display(b *strings.Builder, v cty.Value) {
	if v.HasMark(Sensitive) {
		b.WriteString(Redacted)
		return
	}
	v, _ = v.Unmark()
	switch {
	case !v.IsKnown():
		b.WriteString("(known after apply)")
		return
	case v.IsNull():
		b.WriteString("null")
		return
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		b.WriteString(strconv.Quote(v.AsString()))
	case ty == cty.Number:
		b.WriteString(DisplayNumber(v))
	case ty == cty.Bool:
		fmt.Fprint(b, v.True())
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		b.WriteByte('[')
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			_, e := it.Element()
			display(b, e)
		}
		b.WriteByte(']')
	case ty.IsMapType() || ty.IsObjectType():
		if ty.IsObjectType() && ty.HasAttribute("digest") && ty.HasAttribute("media_type") && v.GetAttr("digest").IsKnown() && !v.GetAttr("digest").IsNull() {
			d, _ := v.GetAttr("digest").Unmark()
			b.WriteString(d.AsString())
			return
		}
		m := v.AsValueMap()
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if len(keys) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{ ")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k)
			b.WriteString(" = ")
			display(b, m[k])
		}
		b.WriteString(" }")
	default:
		b.WriteString(ty.FriendlyName())
	}
}
