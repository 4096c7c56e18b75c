// Package diagfmt renders diagnostics for people and for programs: text in
// Terraform's shape (summary, location, the source line with the range
// underlined, then the detail) and JSON with ranges and snippets. It is the
// only place that decides how a diagnostic looks; the packages that find
// problems only describe them. Clip quotes text pipe did not write (a
// request's path, a name from a damaged file) for any error, capped.
package diagfmt
