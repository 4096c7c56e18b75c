// Package views prints what pipe's commands found or did: one file per
// command, named after it (apply.go, lineage.go), declaring an interface
// for what the command has to show and one type per output format (human
// text, JSON, Markdown, DOT) behind it. A command chooses its view once,
// from the [arguments.ViewType] it parsed (views.NewApply(a.ViewType,
// v)), and never looks at the format again: a new output format is one
// more type here, not a branch in every command.
//
// Every view writes through the [View] it is given: the command's stdout
// and stderr, and whether each may be coloured. Nothing here reads flags,
// the environment or the engine's state; the commands (cmd/pipe) gather
// results and hand them over, package arguments parses the command line,
// and engine/diagfmt renders diagnostics for both the CLI and pipe serve.
//
// Human output is for people and may change; the JSON documents are a
// contract (docs/guide.md): their types are exported here (RunsDocument,
// ApplySummary, ...) so that tests decode exactly what is printed.
package views
