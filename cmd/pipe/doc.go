// Command pipe is a declarative pipeline-as-code DAG runner for machine
// learning training: pipelines are HCL files, steps are cached by content
// hash, and every run goes into a lineage registry.
//
// Each subcommand lives in its own file (validate.go, plan.go, ...) as a
// type with a flag set, a hand-written usage text and a Run method that
// writes through the writers it is given. Only main calls os.Exit; errors
// map to exit codes in exitcode.go.
package main
