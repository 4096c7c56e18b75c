// Package redaction keeps the values of sensitive variables out of
// everything pipe serve writes: every log record of serve and of its
// applies (Handler), every JSON and text body and the page (the Current
// redactor, applied by engine/serve/api and engine/serve/page as they
// write), and the diagnostics they show.
//
// The values are those of the last load that decoded a configuration
// (Of): as given in PIPE_VAR_* or -var, even when they do not parse, and
// as resolved, -var-file and defaults included; they are replaced by
// "(sensitive value)". That covers a step error that quotes a value,
// which the registry keeps as the step wrote it. Values are matched as
// text in the forms they are written in (plain, Go-quoted, JSON- and
// HTML-escaped; engine/redact); values shorter than three characters are
// left alone. Snippets of diagnostics come from pipeline files only,
// never from variable files (engine/serve/snapshot's Sources).
//
// engine/redact does the matching; engine/apply redacts what a run
// records before the runner writes it, and serve redacts again on the way
// out, which also covers values given from outside that never parsed and
// runs recorded before.
package redaction
