package views

import (
	"fmt"
	"io"
	"strings"

	"github.com/pipe-ml/pipe/steps"
)

// kindsHuman prints each kind as a terminal reads it: its attributes and
// outputs in columns, each with its type, what else it must be, and its
// description wrapped under it; then the kinds of artifact they make or
// take, with their media types.
type kindsHuman struct{ *View }

// wrapWidth is the width descriptions are wrapped to.
const wrapWidth = 78

func (v kindsHuman) Kinds(d *steps.CatalogDoc, _ bool) error {
	for i, k := range d.Kinds {
		if i > 0 {
			fmt.Fprintln(v.Stdout)
		}
		v.kind(k)
	}
	if len(d.Media) > 0 {
		fmt.Fprintf(v.Stdout, "\n%s\n", paint(v.ColorOut, headingBold, "Kinds of artifact"))
		for _, m := range d.Media {
			fmt.Fprintf(v.Stdout, "  %-12s %s\n", m.Label, m.Type)
			wrap(v.Stdout, m.Description+" Made by "+orNone(m.Producers)+".", 15)
		}
	}
	return nil
}

func (v kindsHuman) kind(k steps.KindDoc) {
	fmt.Fprintf(v.Stdout, "%s %s\n", paint(v.ColorOut, headingBold, k.Name), paint(v.ColorOut, ansiDim, "("+k.Version+")"))
	wrap(v.Stdout, k.Description, 2)
	width := 0
	for _, a := range k.Attributes {
		width = max(width, len(a.Name))
		for _, f := range a.Fields {
			width = max(width, len(f.Name)+2)
		}
	}
	for _, o := range k.Outputs {
		width = max(width, len(o.Name))
	}
	fmt.Fprintf(v.Stdout, "\n  Attributes:\n")
	for _, a := range k.Attributes {
		v.attribute(a, "", width)
		for _, f := range a.Fields {
			v.attribute(f, "  ", width)
		}
	}
	fmt.Fprintf(v.Stdout, "\n  Outputs:\n")
	for _, o := range k.Outputs {
		typ := o.Type
		if len(o.Media) > 0 {
			typ += " (" + mediaLabels(o.Media) + ")"
		}
		fmt.Fprintf(v.Stdout, "    %-*s  %s\n", width, o.Name, typ)
		wrap(v.Stdout, o.Description, 4+width+2)
	}
}

// attribute prints one attribute, or with indent a field of one.
func (v kindsHuman) attribute(a steps.AttributeDoc, indent string, width int) {
	facts := []string{a.Type}
	switch {
	case a.Required:
		facts = append(facts, "required")
	case a.Default != nil:
		facts = append(facts, "default "+string(a.Default))
	}
	if !a.Keyed {
		facts = append(facts, "not in the cache key")
	}
	facts = append(facts, constraints(a)...)
	fmt.Fprintf(v.Stdout, "    %-*s  %s\n", width, indent+a.Name, strings.Join(facts, ", "))
	wrap(v.Stdout, a.Description, 4+width+2)
}

// wrap writes text in lines of at most wrapWidth, each indented.
func wrap(w io.Writer, text string, indent int) {
	if text == "" {
		return
	}
	pad := strings.Repeat(" ", indent)
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && indent+len(line)+1+len(word) > wrapWidth {
			fmt.Fprintln(w, pad+line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	fmt.Fprintln(w, pad+line)
}

// orNone joins names, or says "no kind".
func orNone(names []string) string {
	if len(names) == 0 {
		return "no kind"
	}
	return strings.Join(names, ", ")
}

// headingBold sets a kind's name apart on a terminal.
const headingBold = "\x1b[1m"
