package diagfmt

import (
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Sort returns diags ordered by file and position, errors without a
// location first, keeping the order of equal ones: the order in which the
// CLI and serve print them.
func Sort(diags hcl.Diagnostics) hcl.Diagnostics {
	out := slices.Clone(diags)
	slices.SortStableFunc(out, func(a, b *hcl.Diagnostic) int {
		switch {
		case a.Subject == nil && b.Subject == nil:
			return 0
		case a.Subject == nil:
			return -1
		case b.Subject == nil:
			return 1
		}
		if c := strings.Compare(a.Subject.Filename, b.Subject.Filename); c != 0 {
			return c
		}
		return a.Subject.Start.Byte - b.Subject.Start.Byte
	})
	return out
}
