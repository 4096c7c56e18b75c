package nesting

import (
	"strings"
	"testing"
)

func TestCheckNesting(t *testing.T) {
	deep := func(open, mid, close string, n int) []byte {
		return []byte("locals {\n  a = " + strings.Repeat(open, n) + mid + strings.Repeat(close, n) + "\n}\n")
	}
	for _, c := range []struct {
		name string
		src  []byte
		bad  bool
	}{
		{"shallow.pipe.hcl", deep("(", "1", ")", 100), false},
		{"parens.pipe.hcl", deep("(", "1", ")", 1000), true},
		{"lists.pipe.hcl", deep("[", "1", "]", 300), true},
		{"not.pipe.hcl", deep("!", "true", "", 1000), true},
		{"minus.pipe.hcl", deep("-", "1", "", 300), true},
		{"templates.pipe.hcl", deep(`"${`, "1", `}"`, 300), true},
		{"for.pipe.hcl", deep("[for x in ", "[1]", ": x]", 300), true},
		{"blocks.pipe.hcl", []byte(strings.Repeat("a {\n", 300) + strings.Repeat("}\n", 300)), true},
		// Brackets in strings and comments count too: a bound, not a
		// parse. Nobody writes hundreds of them.
		{"long chain.pipe.hcl", []byte("locals {\n  a = " + strings.Repeat("1 + ", 10000) + "1\n}\n"), false},
		{"ok.pipe.json", []byte(`{"locals": {"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"[[["}}`), false},
		{"deep.pipe.json", []byte(`{"locals": {"a": ` + strings.Repeat("[", 300000) + strings.Repeat("]", 300000) + "}}"), true},
	} {
		diags := Check(c.name, c.src)
		if diags.HasErrors() != c.bad {
			t.Errorf("%s: %v", c.name, diags)
			continue
		}
		if c.bad {
			d := diags[0]
			if d.Summary != "Too deeply nested" || d.Subject == nil || d.Subject.Filename != c.name || d.Subject.Start.Line < 1 {
				t.Errorf("%s: %+v", c.name, d)
			}
		}
	}
	if diags := CheckExpression("<value>", []byte(strings.Repeat("[", 1000))); !diags.HasErrors() {
		t.Error("a deep -var value passes")
	}
	// The JSON position is where the limit is crossed.
	d := Check("p.pipe.json", []byte("{\n \"a\": "+strings.Repeat("[", 300)))[0]
	if d.Subject.Start.Line != 2 || d.Subject.Start.Column != 7+Max-1 {
		t.Errorf("JSON position %v", d.Subject.Start)
	}
}
