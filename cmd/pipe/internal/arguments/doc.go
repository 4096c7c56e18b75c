// Package arguments turns a pipe command's command line into a typed
// value: [ParseApply] returns an [Apply], [ParsePlan] a [Plan], one file
// per command, named after it. A Parse function reads its arguments and
// nothing else (pipe output's alone asks whether an argument names an
// existing path): it opens nothing and prints nothing, so that every flag
// and its checks are read in one place and tested without running
// anything.
//
// Flags may come before or after the positional arguments (pipe plan .
// -out=x is pipe plan -out=x .), and every command takes -no-color
// ([View]). The flags several commands share (variables, the workspace,
// the registry, -target and -replace) are in flags.go, with the help text
// that documents them.
//
// A command line that cannot run is an [*Error]: a message, what to try,
// and whether the command's usage should follow; -h and -help return
// [ErrHelp]. The command itself (cmd/pipe/NAME.go) owns its usage text,
// cmd/pipe/exitcode.go turns these errors into exit codes, and the
// sibling package views prints the results, in the format the parsed
// [ViewType] chose.
package arguments
