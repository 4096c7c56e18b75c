package views

import "fmt"

// Fmt prints what pipe fmt did: the files it changed, their diffs, and
// standard input in canonical form. It has one format, text; its
// diagnostics go to stderr through [View.Diagnostics].
type Fmt struct{ *View }

// NewFmt returns pipe fmt's view.
func NewFmt(v *View) *Fmt { return &Fmt{v} }

// Changed names a file that is not (or was not) formatted.
func (v *Fmt) Changed(name string) { fmt.Fprintln(v.Stdout, name) }

// Diff prints the changes formatting makes to a file, as a unified diff.
func (v *Fmt) Diff(name string, old, formatted []byte) {
	fmt.Fprint(v.Stdout, unifiedDiff(name, old, formatted))
}

// Formatted prints standard input in canonical form.
func (v *Fmt) Formatted(src []byte) { v.Stdout.Write(src) }
