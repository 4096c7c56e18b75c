package arguments

// Lineage is pipe lineage's command line.
type Lineage struct {
	View
	Registry
	// Path is the pipeline folder, Ref what to trace: NAME@VERSION,
	// NAME@ALIAS, a digest or a file.
	Path, Ref string
	// Downstream is -downstream: what was built from Ref, not what made it.
	Downstream bool
	// Depth is -depth: stop this many steps away from Ref; 0 for no limit.
	Depth int
	// Verbose is -v: the tree shows every configuration and output in
	// full, the digests whole and where the store keeps each artifact.
	Verbose bool
	// ViewType is -format: human (tree), json or dot.
	ViewType ViewType
}

// ParseLineage parses pipe lineage's arguments.
func ParseLineage(args []string) (*Lineage, error) {
	a := &Lineage{}
	fs := newFlags("lineage")
	fs.BoolVar(&a.Downstream, "downstream", false, "")
	format := fs.String("format", "tree", "")
	asJSON := fs.Bool("json", false, "")
	fs.IntVar(&a.Depth, "depth", 0, "")
	fs.BoolVar(&a.Verbose, "v", false, "")
	fs.BoolVar(&a.Verbose, "verbose", false, "")
	a.Registry.register(fs)
	path, rest, err := parsePathAnd(fs, args, &a.View, 1)
	if err != nil {
		return nil, err
	}
	a.Path, a.Ref = path, rest[0]
	if *asJSON {
		*format = "json"
	}
	switch *format {
	case "tree":
		a.ViewType = ViewHuman
	case "json":
		a.ViewType = ViewJSON
	case "dot":
		a.ViewType = ViewDOT
	default:
		return nil, errorf("-format=tree, -format=json or -format=dot", "unknown -format %q", *format)
	}
	if a.Depth < 0 {
		return nil, errorf("-depth=3, or leave it out for the whole graph", "-depth must be 0 or more, not %d", a.Depth)
	}
	return a, nil
}
