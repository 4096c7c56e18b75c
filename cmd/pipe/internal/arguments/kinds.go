package arguments

// Kinds is pipe kinds' command line.
type Kinds struct {
	View
	// Kind is the one kind to describe, "" for all.
	Kind string
	// ViewType is human, -json or -markdown.
	ViewType ViewType
}

// ParseKinds parses pipe kinds' arguments.
func ParseKinds(args []string) (*Kinds, error) {
	a := &Kinds{}
	fs := newFlags("kinds")
	asJSON := fs.Bool("json", false, "")
	asMarkdown := fs.Bool("markdown", false, "")
	args, err := parse(fs, args, &a.View)
	if err != nil {
		return nil, err
	}
	switch len(args) {
	case 0:
	case 1:
		a.Kind = args[0]
	default:
		return nil, usageErrorf("kinds takes at most one KIND, not %d arguments", len(args))
	}
	if *asJSON && *asMarkdown {
		return nil, errorf("-json or -markdown", "-json and -markdown do not go together")
	}
	a.ViewType = planView(*asJSON, *asMarkdown)
	return a, nil
}
