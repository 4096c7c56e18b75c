package views

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/engine/diagfmt"
)

// Validate prints the result of validating a pipeline: its name and
// number of steps when it loaded, and the diagnostics.
type Validate interface {
	Result(name string, steps int, diags hcl.Diagnostics, sources map[string][]byte) error
}

// NewValidate returns the validate view for vt: text, or JSON shaped as
// terraform validate -json's.
func NewValidate(vt arguments.ViewType, v *View) Validate {
	if vt == arguments.ViewJSON {
		return validateJSON{v}
	}
	return validateHuman{v}
}

type validateHuman struct{ *View }

func (v validateHuman) Result(name string, steps int, diags hcl.Diagnostics, sources map[string][]byte) error {
	v.Diagnostics(diags, sources)
	if diags.HasErrors() {
		return nil
	}
	_, err := fmt.Fprintf(v.Stdout, "Success! The pipeline %q is valid (%d steps).\n", name, steps)
	return err
}

type validateJSON struct{ *View }

// ValidateDocument is what pipe validate -json prints; its shape follows
// terraform validate -json's.
type ValidateDocument struct {
	FormatVersion string                   `json:"format_version"`
	Valid         bool                     `json:"valid"`
	ErrorCount    int                      `json:"error_count"`
	WarningCount  int                      `json:"warning_count"`
	Diagnostics   []diagfmt.JSONDiagnostic `json:"diagnostics"`
}

func (v validateJSON) Result(_ string, _ int, diags hcl.Diagnostics, sources map[string][]byte) error {
	diags = diagfmt.Sort(diags)
	doc := ValidateDocument{FormatVersion: "1.0", Valid: !diags.HasErrors(), Diagnostics: diagfmt.JSON(diags, sources)}
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			doc.ErrorCount++
		} else {
			doc.WarningCount++
		}
	}
	return writeJSON(v.Stdout, doc)
}
