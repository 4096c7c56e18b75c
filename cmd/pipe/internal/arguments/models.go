package arguments

// Models is pipe models' command line: the list of models, or one of its
// subcommands.
type Models struct {
	View
	Registry
	// Sub is the subcommand: "" (list), show, history, promote or
	// rollback.
	Sub string
	// Path is the pipeline folder.
	Path string
	// Model is the model's NAME (show, history, rollback) or the version
	// NAME@VERSION to promote.
	Model string
	// Alias is the alias to promote or roll back, or -alias: history
	// only of this alias's moves.
	Alias string
	// Note is -note: why, recorded with a move.
	Note string
	// ViewType is human or -json.
	ViewType ViewType
}

// ReadOnly reports whether the subcommand only reads the registry.
func (a *Models) ReadOnly() bool { return a.Sub != "promote" && a.Sub != "rollback" }

// ParseModels parses pipe models' arguments.
func ParseModels(args []string) (*Models, error) {
	a := &Models{}
	if len(args) > 0 {
		switch args[0] {
		case "show", "history", "promote", "rollback":
			a.Sub, args = args[0], args[1:]
		}
	}
	fs := newFlags("models")
	asJSON := fs.Bool("json", false, "")
	fs.StringVar(&a.Alias, "alias", "", "")
	fs.StringVar(&a.Note, "note", "", "")
	a.Registry.register(fs)
	need := map[string]int{"": 0, "show": 1, "history": 1, "promote": 2, "rollback": 2}[a.Sub]
	path, rest, err := parsePathAnd(fs, args, &a.View, need)
	if err != nil {
		return nil, err
	}
	a.Path = path
	if need > 0 {
		a.Model = rest[0]
	}
	if need > 1 {
		a.Alias = rest[1]
	}
	a.ViewType = jsonOrHuman(*asJSON)
	return a, nil
}
