package arguments

// Graph is pipe graph's command line.
type Graph struct {
	View
	Vars
	// Path is the pipeline: a folder or one file.
	Path string
	// ViewType is -format: dot (the default) or mermaid.
	ViewType ViewType
}

// ParseGraph parses pipe graph's arguments.
func ParseGraph(args []string) (*Graph, error) {
	a := &Graph{}
	fs := newFlags("graph")
	format := fs.String("format", "dot", "")
	a.Vars.register(fs)
	args, err := parse(fs, args, &a.View)
	if err != nil {
		return nil, err
	}
	switch *format {
	case "dot":
		a.ViewType = ViewDOT
	case "mermaid":
		a.ViewType = ViewMermaid
	default:
		return nil, errorf("-format=dot or -format=mermaid", "unknown graph format %q", *format)
	}
	if a.Path, err = onePath(args); err != nil {
		return nil, err
	}
	return a, nil
}
