package arguments

// Fmt is pipe fmt's command line.
type Fmt struct {
	View
	// Check is -check: write nothing, exit 3 when a file is not
	// formatted.
	Check bool
	// Diff is -diff: print the changes as a unified diff.
	Diff bool
	// List is -list (default on): name the files that change.
	List bool
	// Write is -write (default on, off with -check): rewrite the files.
	Write bool
	// Recursive is -recursive: also format files in subfolders.
	Recursive bool
	// Paths are the files and folders to format, "." by default; "-" is
	// standard input.
	Paths []string
}

// ParseFmt parses pipe fmt's arguments.
func ParseFmt(args []string) (*Fmt, error) {
	a := &Fmt{}
	fs := newFlags("fmt")
	fs.BoolVar(&a.Check, "check", false, "")
	fs.BoolVar(&a.Diff, "diff", false, "")
	fs.BoolVar(&a.List, "list", true, "")
	fs.BoolVar(&a.Write, "write", true, "")
	fs.BoolVar(&a.Recursive, "recursive", false, "")
	args, err := parse(fs, args, &a.View)
	if err != nil {
		return nil, err
	}
	if a.Check {
		a.Write = false
	}
	a.Paths = args
	if len(a.Paths) == 0 {
		a.Paths = []string{"."}
	}
	return a, nil
}
