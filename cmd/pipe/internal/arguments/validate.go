package arguments

// Validate is pipe validate's command line.
type Validate struct {
	View
	Vars
	// Path is the pipeline: a folder or one file.
	Path string
	// ViewType is human or -json.
	ViewType ViewType
}

// ParseValidate parses pipe validate's arguments.
func ParseValidate(args []string) (*Validate, error) {
	a := &Validate{}
	fs := newFlags("validate")
	asJSON := fs.Bool("json", false, "")
	a.Vars.register(fs)
	var err error
	if a.Path, err = parsePath(fs, args, &a.View); err != nil {
		return nil, err
	}
	a.ViewType = jsonOrHuman(*asJSON)
	return a, nil
}

// jsonOrHuman is the view of a command whose only other format is -json.
func jsonOrHuman(asJSON bool) ViewType {
	if asJSON {
		return ViewJSON
	}
	return ViewHuman
}
