package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/pipe-ml/pipe/engine/plan"
)

type planCmd struct{}

func (*planCmd) Name() string     { return "plan" }
func (*planCmd) Synopsis() string { return "Show which steps would run, which are cached, and why" }
func (*planCmd) Usage() string {
	return `Usage: pipe plan [options] [PATH]

Works out, for each step of the pipeline in PATH (default the current
folder), whether apply would run it or take it from the cache, and why it
would run: it is new, an attribute changed (old → new), an input file
changed, the step's implementation changed, -replace asked, or it reads
the output of a step that runs (its key is known after apply). Nothing
runs and nothing is written but the stat cache.

Options:
  -out=FILE           Save the plan; "pipe apply FILE" runs exactly it, and
                      refuses when the pipeline, variables or inputs
                      changed since.
  -detailed-exitcode  Exit 0 when nothing would run, 2 when something
                      would, 1 on error.
  -json               Print the plan as one JSON document (see the README
                      for its format).
  -markdown           Print the plan as Markdown, for a pull request.
` + stepUsage + workspaceUsage + `  -no-color           Never colour the output.

Examples:
  pipe plan
  pipe plan -var 'data_dir=data/2026-11' -out=nightly.plan
  pipe plan -detailed-exitcode -json > plan.json; echo $?
`
}

func (cmd *planCmd) Run(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	out := fs.String("out", "", "")
	detailed := fs.Bool("detailed-exitcode", false, "")
	asJSON := fs.Bool("json", false, "")
	asMarkdown := fs.Bool("markdown", false, "")
	var wf workspaceFlags
	wf.register(fs)
	var sf stepFlags
	sf.register(fs)
	args, err := c.parseFlags(fs, cmd.Usage(), args)
	if err != nil {
		return err
	}
	path, err := onePath(args, cmd.Usage())
	if err != nil {
		return err
	}
	targets, replace, err := sf.addrs()
	if err != nil {
		return err
	}
	w, err := c.openWorkspace(ctx, path, &wf, nil)
	if err != nil {
		return err
	}
	defer w.Close()
	pl, diags := plan.Make(ctx, plan.Options{Pipeline: w.Pipeline, Store: w.Store, Files: w.Files, Targets: targets, Replace: replace})
	c.printLoadDiagnostics(w, diags)
	if diags.HasErrors() {
		return errReported
	}
	doc := pl.Document(currentBuild().Version)
	switch {
	case *asJSON:
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return err
		}
	case *asMarkdown:
		renderMarkdown(c.stdout, doc)
	default:
		renderPlan(c.stdout, doc, c.color(c.stdout))
	}
	if *out != "" {
		if err := pl.Save(*out, currentBuild().Version, path, w.StoreURL, time.Now()); err != nil {
			return err
		}
		// For people the note follows the plan, as terraform's does; a
		// JSON document or a pull-request comment on stdout must stay
		// only that, so there it goes to stderr.
		note := c.stdout
		if *asJSON || *asMarkdown {
			note = c.stderr
		}
		fmt.Fprintf(note, "\nSaved the plan to %s. Run it with: pipe apply %s\n", *out, *out)
	}
	if *detailed && doc.Summary.Run > 0 {
		return &exitErr{code: exitChanges}
	}
	return nil
}

// isPlanFile reports whether path is a saved plan rather than a pipeline.
func isPlanFile(path string) (*plan.Document, bool, error) {
	info, err := os.Stat(path)
	if err != nil || info.IsDir() {
		return nil, false, nil
	}
	return plan.ReadFile(path)
}
