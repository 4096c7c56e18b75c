// Command pipe is a declarative pipeline-as-code DAG runner for machine
// learning training: pipelines are HCL files, steps are cached by content
// hash, and every run goes into a lineage registry.
//
// # Where things are
//
// Each command is in three parts, as in Terraform's command layer, and
// each part is a file named after the command:
//
//   - NAME.go (here): the command's name, its hand-written usage with
//     examples, and a short Run that parses the arguments, does the work
//     through the engine, and hands the results to a view.
//   - internal/arguments/NAME.go: its flags and arguments, parsed and
//     checked into a typed value (arguments.Lineage), opening nothing.
//   - internal/views/NAME.go: what it prints, one type per output format
//     (human text, -json, -markdown, DOT), chosen once from the parsed
//     arguments (views.NewLineage(a.ViewType, ...)).
//
// A new flag is a field in arguments and a line of usage; a new output
// format is one more view. What a command shares with others is named
// after what it is: workspace.go opens a pipeline's workspace,
// registry.go its lineage registry, openlineage.go the OpenLineage
// reporting of an apply, logging.go the structured logger, catalog.go
// the step kinds the binary knows.
//
// cli.go dispatches to the commands; exitcode.go is the only place
// errors become exit codes, and main.go the only place that exits.
// Commands read and print only through the reader and writers the CLI
// was given, so the tests run the real binary and read what it wrote.
package main
