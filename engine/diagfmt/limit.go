package diagfmt

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// MaxPerFile is how many diagnostics Text and JSON show for one file: a
// file that is not a pipeline at all (a binary, random bytes) gives one
// per token, hundreds, and the first few say what there is to say.
const MaxPerFile = 10

// Limit returns diags with at most max of each file's diagnostics (in
// the order given), and, for each file that had more, one more
// diagnostic that says how many were left out, of which severities, at
// the place of the first of them. Diagnostics without a location are
// all kept.
func Limit(diags hcl.Diagnostics, max int) hcl.Diagnostics {
	shown := map[string]int{}
	type left struct {
		errors, warnings int
		first            hcl.Range
	}
	var order []string
	more := map[string]*left{}
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Subject == nil {
			out = append(out, d)
			continue
		}
		name := d.Subject.Filename
		if shown[name] < max {
			shown[name]++
			out = append(out, d)
			continue
		}
		l := more[name]
		if l == nil {
			l = &left{first: *d.Subject}
			more[name] = l
			order = append(order, name)
		}
		if d.Severity == hcl.DiagError {
			l.errors++
		} else {
			l.warnings++
		}
	}
	for _, name := range order {
		l := more[name]
		sev, what := hcl.DiagError, plural(l.errors, "more error")
		switch {
		case l.errors == 0:
			sev, what = hcl.DiagWarning, plural(l.warnings, "more warning")
		case l.warnings > 0:
			what += " and " + plural(l.warnings, "warning")
		}
		out = append(out, &hcl.Diagnostic{
			Severity: sev,
			Subject:  l.first.Ptr(),
			Summary:  fmt.Sprintf("And %s in %s", what, name),
			Detail: fmt.Sprintf("Only the first %d problems of %s are shown. Fix them and run pipe validate again; "+
				"if %s is not a pipeline file at all, move it out of the folder or rename it so that it does not end in .pipe.hcl or .pipe.json.", max, name, name),
		})
	}
	return out
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
