package arguments

// RegistryCommand is pipe registry's command line: status or rebuild.
type RegistryCommand struct {
	View
	Registry
	// Sub is the subcommand: status or rebuild.
	Sub string
	// Path is the pipeline folder.
	Path string
	// FromScratch is rebuild's -from-scratch: replay every entry.
	FromScratch bool
	// ViewType is human or -json.
	ViewType ViewType
}

// ParseRegistry parses pipe registry's arguments.
func ParseRegistry(args []string) (*RegistryCommand, error) {
	a := &RegistryCommand{}
	if len(args) == 0 || args[0] != "status" && args[0] != "rebuild" {
		return nil, usageErrorf("pipe registry needs a subcommand: status or rebuild")
	}
	a.Sub, args = args[0], args[1:]
	fs := newFlags("registry " + a.Sub)
	asJSON := fs.Bool("json", false, "")
	fs.BoolVar(&a.FromScratch, "from-scratch", false, "")
	a.Registry.register(fs)
	var err error
	if a.Path, err = parsePath(fs, args, &a.View); err != nil {
		return nil, err
	}
	if a.FromScratch && a.Sub != "rebuild" {
		return nil, usageErrorf("-from-scratch is for pipe registry rebuild")
	}
	a.ViewType = jsonOrHuman(*asJSON)
	return a, nil
}
