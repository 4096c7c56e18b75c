package views

import (
	"slices"
	"strings"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/steps"
)

// Kinds prints what step kinds take and give: pipe kinds. d holds every
// kind, or the one asked for; All says which.
type Kinds interface {
	Kinds(d *steps.CatalogDoc, all bool) error
}

// NewKinds returns the kinds view for vt: text for a terminal, the
// catalog document as JSON, or the Markdown reference of docs/kinds.md.
func NewKinds(vt arguments.ViewType, v *View) Kinds {
	switch vt {
	case arguments.ViewJSON:
		return kindsJSON{v}
	case arguments.ViewMarkdown:
		return kindsMarkdown{v}
	default:
		return kindsHuman{v}
	}
}

// kindsJSON writes the catalog document.
type kindsJSON struct{ *View }

func (v kindsJSON) Kinds(d *steps.CatalogDoc, _ bool) error { return writeJSON(v.Stdout, d) }

// constraints lists what an attribute's value must be beyond its type, in
// words: "a whole number from 2 to 255", "a dataset or a model".
func constraints(a steps.AttributeDoc) []string {
	var out []string
	if len(a.Accepts) > 0 {
		var labels []string
		for _, m := range a.Accepts {
			if !slices.Contains(labels, m.Label) {
				labels = append(labels, m.Label)
			}
		}
		out = append(out, "a "+strings.Join(labels, " or a ")+" artifact")
	}
	if a.Number != nil && a.Type == "any" {
		out = append(out, "when a number, "+a.Number.Text)
	} else if a.Number != nil {
		out = append(out, a.Number.Text)
	}
	return out
}

// mediaLabels lists the labels of ms once each: "predictions".
func mediaLabels(ms []steps.Media) string {
	var labels []string
	for _, m := range ms {
		if !slices.Contains(labels, m.Label) {
			labels = append(labels, m.Label)
		}
	}
	return strings.Join(labels, ", ")
}
