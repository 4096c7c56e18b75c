// Package nesting keeps pipe's parsers on their stack: HCL's parsers are
// recursive, so a file or a -var value that nests brackets, braces,
// templates or unary operators a few hundred thousand deep would end the
// process with a Go stack trace. [Check] and [CheckExpression] count the
// depth on HCL's own tokens (or JSON's) and report the first place that
// goes deeper than [Max], as a diagnostic, before any parser sees the text.
//
// engine/config checks every pipeline file with it, engine/eval every
// -var value and var file, engine/diagfmt every source it would parse for
// a snippet's context, and `pipe fmt` every file it formats.
package nesting
