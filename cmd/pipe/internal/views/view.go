package views

import (
	"encoding/json"
	"io"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/diagfmt"
)

// View is what every command's view shares: where output goes and how it
// may look.
type View struct {
	// Stdout is for results, Stderr for diagnostics and notes.
	Stdout, Stderr io.Writer
	// ColorOut and ColorErr say whether Stdout and Stderr may be
	// coloured: they are terminals, and neither -no-color, NO_COLOR, a CI
	// job nor TERM=dumb says otherwise.
	ColorOut, ColorErr bool
	// Live says whether a status line may be rewritten in place on
	// Stdout: it is coloured, and not in a CI job's log.
	Live bool
}

// Diagnostics prints diagnostics to Stderr for a person, in order, each
// with the lines of sources it points at.
func (v *View) Diagnostics(diags hcl.Diagnostics, sources map[string][]byte) {
	if len(diags) == 0 {
		return
	}
	diagfmt.Text(v.Stderr, diagfmt.Sort(diags), diagfmt.Sources(sources), v.ColorErr)
}

// writeJSON writes v as indented JSON and a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Terminal colours.
const (
	ansiReset  = "\x1b[0m"
	ansiDim    = "\x1b[2m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiRed    = "\x1b[31m"
)

// paint colours s when color is on.
func paint(color bool, code, s string) string {
	if !color {
		return s
	}
	return code + s + ansiReset
}
