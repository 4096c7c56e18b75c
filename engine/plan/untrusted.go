package plan

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/cache"
	"github.com/pipe-ml/pipe/engine/config"
)

// Summaries of the warnings about cache entries a step cannot use.
const (
	SummaryUnusable  = "Unusable cache entry"
	SummaryUntrusted = "Untrusted cache entry"
)

// MaxUntrusted is how many warnings about untrusted cache entries (not
// signed with the team key, signed with another, or changed since) a
// plan or an apply prints one by one; the others are named in one more.
// The first apply after a key is configured finds every entry unsigned.
const MaxUntrusted = 3

// MissDiagnostic is the warning about step's unusable cache entry; then
// says what happens next.
func MissDiagnostic(step *config.Step, miss *cache.MissError, then string) *hcl.Diagnostic {
	summary := SummaryUnusable
	if miss.Signature != nil {
		summary = SummaryUntrusted
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  summary,
		Detail:   fmt.Sprintf("%s: %s. %s", step.Addr, miss.Error(), then),
		Subject:  step.DeclRange.Ptr(),
	}
}

// CapUntrusted keeps the first MaxUntrusted warnings about untrusted
// cache entries in diags and folds the others into one that names their
// steps, so that a store full of unsigned entries is one screen, not one
// warning per step.
func CapUntrusted(diags hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	var more []string
	seen := 0
	for _, d := range diags {
		if d.Severity != hcl.DiagWarning || d.Summary != SummaryUntrusted {
			out = append(out, d)
			continue
		}
		if seen++; seen <= MaxUntrusted {
			out = append(out, d)
			continue
		}
		step, _, _ := strings.Cut(d.Detail, ": ")
		more = append(more, step)
	}
	if len(more) == 0 {
		return diags
	}
	return append(out, &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  fmt.Sprintf("%d more untrusted cache entries", len(more)),
		Detail:   fmt.Sprintf("The cache entries of %s are not trusted either, each for one of the reasons above: their steps run again and rewrite them signed.", strings.Join(more, ", ")),
	})
}
