package config

import (
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// checkName reports a label that cannot be used in references.
func checkName(what, name string, rng hcl.Range) hcl.Diagnostics {
	if hclsyntax.ValidIdentifier(name) {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid " + what + " name",
		Detail:   fmt.Sprintf("%q is not a valid name: a name starts with a letter or underscore and holds only letters, digits, underscores and dashes.", name),
		Subject:  rng.Ptr(),
	}}
}

func sortedAttrNames(attrs hcl.Attributes) []string {
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	// Declaration order reads best in diagnostics.
	slices.SortFunc(names, func(a, b string) int {
		ra, rb := attrs[a].Range, attrs[b].Range
		if ra.Filename != rb.Filename {
			if ra.Filename < rb.Filename {
				return -1
			}
			return 1
		}
		return ra.Start.Byte - rb.Start.Byte
	})
	return names
}
