// Package redact hides the values of sensitive variables in text on its
// way out of pipe: a step's error recorded in the registry, printed by
// apply or sent as a -json event, and everything pipe serve writes (logs,
// HTTP bodies, the page).
//
// Values marked sensitive (engine/lang) are already shown as
// (sensitive value) wherever pipe formats a value itself; this package is
// for text pipe did not format, such as a step kind's error quoting an
// attribute. A value is matched as text, in each form it takes on the
// way out: as it is, Go-quoted (%q in an error), JSON-escaped and
// HTML-escaped. A value the program rewrote (a number printed in another
// form) is not caught, nor is one shorter than MinLen.
//
// engine/apply redacts what a run records and reports; engine/serve
// redacts what it serves, including the values given from outside that
// did not parse.
package redact
