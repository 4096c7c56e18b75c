package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/pipe-ml/pipe/engine/plan"
)

type showCmd struct{}

func (*showCmd) Name() string     { return "show" }
func (*showCmd) Synopsis() string { return "Show a saved plan for people, programs, or a pull request" }
func (*showCmd) Usage() string {
	return `Usage: pipe show [options] PLANFILE

Shows a plan saved with "pipe plan -out=PLANFILE": for a person (the same
text plan prints), as JSON (the plan document, with what the plan was
made from), or as Markdown for a pull-request comment: a table of steps
with their action and why, what changed in which attribute, and the
summary line. It reads nothing but the file.

Options:
  -json       Print the plan document.
  -markdown   Print Markdown.
  -no-color   Never colour the output.

Examples:
  pipe show nightly.plan
  pipe show -markdown nightly.plan > comment.md
`
}

func (cmd *showCmd) Run(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "")
	asMarkdown := fs.Bool("markdown", false, "")
	args, err := c.parseFlags(fs, cmd.Usage(), args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return &exitErr{code: exitError, msg: "show needs one PLANFILE\n\n" + cmd.Usage()}
	}
	doc, ok, err := plan.ReadFile(args[0])
	if err != nil {
		return withHint(err, "save a plan with pipe plan -out=%s", args[0])
	}
	if !ok {
		return withHint(fmt.Errorf("%s is not a saved plan", args[0]), "save one with pipe plan -out=FILE")
	}
	switch {
	case *asJSON:
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	case *asMarkdown:
		renderMarkdown(c.stdout, doc)
	default:
		renderPlan(c.stdout, doc, c.color(c.stdout))
	}
	return nil
}
