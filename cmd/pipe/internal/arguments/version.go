package arguments

// Version is pipe version's command line.
type Version struct {
	View
	// ViewType is human or -json.
	ViewType ViewType
}

// ParseVersion parses pipe version's arguments.
func ParseVersion(args []string) (*Version, error) {
	a := &Version{}
	fs := newFlags("version")
	asJSON := fs.Bool("json", false, "")
	args, err := parse(fs, args, &a.View)
	if err != nil {
		return nil, err
	}
	if len(args) > 0 {
		return nil, &Error{Msg: "version takes no arguments"}
	}
	a.ViewType = jsonOrHuman(*asJSON)
	return a, nil
}
