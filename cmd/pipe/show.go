package main

import (
	"context"
	"fmt"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
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

func (*showCmd) Run(ctx context.Context, c *cli, args []string) error {
	a, err := arguments.ParseShow(args)
	if err != nil {
		return err
	}
	doc, ok, err := plan.ReadFile(a.PlanFile)
	if err != nil {
		return withHint(err, "save a plan with pipe plan -out=%s", a.PlanFile)
	}
	if !ok {
		return withHint(fmt.Errorf("%s is not a saved plan", a.PlanFile), "save one with pipe plan -out=FILE")
	}
	return views.NewPlan(a.ViewType, c.view(a.View)).Plan(doc)
}
