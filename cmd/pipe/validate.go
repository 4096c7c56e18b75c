package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/diagfmt"
	"github.com/pipe-ml/pipe/engine/pipeline"
)

type validateCmd struct{}

func (*validateCmd) Name() string     { return "validate" }
func (*validateCmd) Synopsis() string { return "Check a pipeline for errors without running anything" }
func (*validateCmd) Usage() string {
	return `Usage: pipe validate [options] [PATH]

Checks the pipeline in PATH (a folder of *.pipe.hcl files, or one file;
default the current folder): syntax, blocks and attributes, references
between steps, types, cycles, functions and variable rules. It reads no
data and runs no step. Required variables without a value are left
unknown, so a pipeline can be checked before its values are known.

Exit status is 0 when the pipeline is valid and 1 when it is not.

Options:
  -json        Print the result as JSON (diagnostics with ranges).
` + varUsage + `  -no-color    Never colour the output.

Examples:
  pipe validate
  pipe validate -json pipelines/ | jq '.diagnostics[].summary'
`
}

// validateJSON is the document -json prints. Its shape follows
// `terraform validate -json`.
type validateJSON struct {
	FormatVersion string                   `json:"format_version"`
	Valid         bool                     `json:"valid"`
	ErrorCount    int                      `json:"error_count"`
	WarningCount  int                      `json:"warning_count"`
	Diagnostics   []diagfmt.JSONDiagnostic `json:"diagnostics"`
}

func (cmd *validateCmd) Run(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "")
	var vars varFlags
	vars.register(fs)
	args, err := c.parseFlags(fs, cmd.Usage(), args)
	if err != nil {
		return err
	}
	path, err := onePath(args, cmd.Usage())
	if err != nil {
		return err
	}
	opts := c.loadOptions(path, &vars)
	opts.AllowMissingVars = true
	p, diags := pipeline.Load(opts)
	var sources map[string][]byte
	if p != nil {
		sources = p.Sources
	}
	diags = diagfmt.Sort(diags)
	if *asJSON {
		doc := validateJSON{FormatVersion: "1.0", Valid: !diags.HasErrors(), Diagnostics: diagfmt.JSON(diags, sources)}
		for _, d := range diags {
			if d.Severity == hcl.DiagError {
				doc.ErrorCount++
			} else {
				doc.WarningCount++
			}
		}
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return err
		}
		if diags.HasErrors() {
			return errReported
		}
		return nil
	}
	c.printDiagnostics(diags, sources)
	if diags.HasErrors() {
		return errReported
	}
	fmt.Fprintf(c.stdout, "Success! The pipeline %q is valid (%d steps).\n", p.Config.Name(), len(p.Config.Steps))
	return nil
}
