package steps

import (
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// AttrError is a problem with one attribute of a step's configuration. The
// engine turns it into a diagnostic that points at the attribute's
// expression in the pipeline file (or at the block, when Path is empty).
// Validate returns them; Run may return one too, as an error.
type AttrError struct {
	// Path leads from the block to the attribute or element at fault,
	// e.g. cty.GetAttrPath("space").GetAttr("C").
	Path cty.Path
	// Summary is one short sentence-case line without a full stop.
	Summary string
	// Detail says what is wrong and how to fix it.
	Detail string
	// Warning is true for a problem that does not stop the step.
	Warning bool
}

// Errorf returns an AttrError for the attribute at path.
func Errorf(path cty.Path, summary, detailFormat string, args ...any) *AttrError {
	return &AttrError{Path: path, Summary: summary, Detail: fmt.Sprintf(detailFormat, args...)}
}

// AttrPath is a shorthand for a path to a top-level attribute, optionally
// followed by nested attribute names.
func AttrPath(name string, nested ...string) cty.Path {
	p := cty.GetAttrPath(name)
	for _, n := range nested {
		p = p.GetAttr(n)
	}
	return p
}

func (e *AttrError) Error() string {
	var b strings.Builder
	if s := FormatPath(e.Path); s != "" {
		b.WriteString(s)
		b.WriteString(": ")
	}
	b.WriteString(e.Summary)
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// FormatPath renders a path the way a user writes it: space.C, folds[2],
// class_weight["pos"].
func FormatPath(p cty.Path) string {
	var b strings.Builder
	for _, step := range p {
		switch s := step.(type) {
		case cty.GetAttrStep:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.Name)
		case cty.IndexStep:
			switch {
			case s.Key.Type() == cty.String && s.Key.IsKnown():
				fmt.Fprintf(&b, "[%q]", s.Key.AsString())
			case s.Key.Type() == cty.Number && s.Key.IsKnown():
				fmt.Fprintf(&b, "[%s]", s.Key.AsBigFloat().Text('f', -1))
			default:
				b.WriteString("[?]")
			}
		}
	}
	return b.String()
}
