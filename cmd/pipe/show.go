package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
	"github.com/pipe-ml/pipe/engine/config"
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
summary line. Each shows what the plan was made from, which apply will
use: the plan's digest (give it to apply -plan-digest), the pipeline
folder, the store, and the variables' values (sensitive ones hidden). It
reads nothing but the file; a file that is not a whole plan is refused
as damaged.

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
	for _, suf := range config.FileSuffixes {
		if strings.HasSuffix(a.PlanFile, suf) {
			return withHint(fmt.Errorf("%s is a pipeline file, not a saved plan", a.PlanFile), "save a plan with pipe plan -out=FILE, and show that")
		}
	}
	doc, err := plan.Read(a.PlanFile)
	if err != nil {
		return withHint(err, "save a plan with pipe plan -out=%s", a.PlanFile)
	}
	return views.NewPlan(a.ViewType, c.view(a.View)).Plan(doc)
}
