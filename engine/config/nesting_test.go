package config

import (
	"strings"
	"testing"
)

// A file nested deeper than engine/nesting allows is refused before HCL's
// recursive parser sees it.
func TestParseSourceRefusesDeepNesting(t *testing.T) {
	for name, src := range map[string][]byte{
		"parens.pipe.hcl": []byte("locals {\n  a = " + strings.Repeat("(", 1000) + "1" + strings.Repeat(")", 1000) + "\n}\n"),
		"deep.pipe.json":  []byte(`{"locals": {"a": ` + strings.Repeat("[", 300000) + strings.Repeat("]", 300000) + "}}"),
	} {
		f, diags := ParseSource(nil, name, src)
		if f != nil || !diags.HasErrors() || diags[0].Summary != "Too deeply nested" {
			t.Errorf("%s: parsed, or not refused as too deeply nested: %v", name, diags)
		}
	}
}
