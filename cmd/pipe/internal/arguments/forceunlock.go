package arguments

// ForceUnlock is pipe force-unlock's command line.
type ForceUnlock struct {
	View
	// LockID is the ID of the lock to remove, as a blocked apply named it.
	LockID string
	// Path is the pipeline folder.
	Path string
	// StateDir is -state-dir, "" for the default.
	StateDir string
}

// ParseForceUnlock parses pipe force-unlock's arguments.
func ParseForceUnlock(args []string) (*ForceUnlock, error) {
	a := &ForceUnlock{Path: "."}
	fs := newFlags("force-unlock")
	fs.StringVar(&a.StateDir, "state-dir", "", "")
	args, err := parse(fs, args, &a.View)
	if err != nil {
		return nil, err
	}
	if len(args) < 1 || len(args) > 2 {
		return nil, usageErrorf("force-unlock needs the LOCK_ID")
	}
	a.LockID = args[0]
	if len(args) == 2 {
		a.Path = args[1]
	}
	return a, nil
}
