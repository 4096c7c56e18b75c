package arguments

// Plan is pipe plan's command line.
type Plan struct {
	View
	Workspace
	Steps
	// Path is the pipeline: a folder or one file.
	Path string
	// Out is -out: where to save the plan, "" for nowhere.
	Out string
	// DetailedExitCode is -detailed-exitcode: exit 2 when a step would
	// run.
	DetailedExitCode bool
	// ViewType is human, -json or -markdown.
	ViewType ViewType
}

// ParsePlan parses pipe plan's arguments.
func ParsePlan(args []string) (*Plan, error) {
	a := &Plan{}
	fs := newFlags("plan")
	fs.StringVar(&a.Out, "out", "", "")
	fs.BoolVar(&a.DetailedExitCode, "detailed-exitcode", false, "")
	asJSON := fs.Bool("json", false, "")
	asMarkdown := fs.Bool("markdown", false, "")
	a.Workspace.register(fs)
	a.Workspace.registerExecutor(fs)
	a.Steps.register(fs)
	var err error
	if a.Path, err = parsePath(fs, args, &a.View); err != nil {
		return nil, err
	}
	if err := a.Steps.resolve(); err != nil {
		return nil, err
	}
	a.ViewType = planView(*asJSON, *asMarkdown)
	return a, nil
}

// planView is the view of a plan: JSON wins over Markdown.
func planView(asJSON, asMarkdown bool) ViewType {
	switch {
	case asJSON:
		return ViewJSON
	case asMarkdown:
		return ViewMarkdown
	}
	return ViewHuman
}

// Show is pipe show's command line.
type Show struct {
	View
	// PlanFile is the saved plan to show.
	PlanFile string
	// ViewType is human, -json or -markdown.
	ViewType ViewType
}

// ParseShow parses pipe show's arguments.
func ParseShow(args []string) (*Show, error) {
	a := &Show{}
	fs := newFlags("show")
	asJSON := fs.Bool("json", false, "")
	asMarkdown := fs.Bool("markdown", false, "")
	args, err := parse(fs, args, &a.View)
	if err != nil {
		return nil, err
	}
	if len(args) != 1 {
		return nil, usageErrorf("show needs one PLANFILE")
	}
	a.PlanFile = args[0]
	a.ViewType = planView(*asJSON, *asMarkdown)
	return a, nil
}
