package arguments

import (
	"strconv"
	"strings"
)

// Runs is pipe runs' command line: the list of runs, or with "show ID"
// one run.
type Runs struct {
	View
	Registry
	// Path is the pipeline folder.
	Path string
	// ID is the run to show; 0 lists the runs.
	ID int64
	// Limit is -limit: at most this many runs, 0 for all (default 20).
	Limit int
	// Status is -status: only runs with this status, "" for all.
	Status string
	// ViewType is human or -json.
	ViewType ViewType
}

// ParseRuns parses pipe runs' arguments.
func ParseRuns(args []string) (*Runs, error) {
	if len(args) > 0 && args[0] == "show" {
		return parseRunsShow(args[1:])
	}
	a := &Runs{}
	fs := newFlags("runs")
	fs.IntVar(&a.Limit, "limit", 20, "")
	fs.StringVar(&a.Status, "status", "", "")
	asJSON := fs.Bool("json", false, "")
	a.Registry.register(fs)
	var err error
	if a.Path, err = parsePath(fs, args, &a.View); err != nil {
		return nil, err
	}
	if a.Limit < 0 {
		return nil, errorf("-limit=20", "-limit must be 0 or more, not %d", a.Limit)
	}
	a.ViewType = jsonOrHuman(*asJSON)
	return a, nil
}

func parseRunsShow(args []string) (*Runs, error) {
	a := &Runs{}
	fs := newFlags("runs show")
	asJSON := fs.Bool("json", false, "")
	a.Registry.register(fs)
	path, rest, err := parsePathAnd(fs, args, &a.View, 1)
	if err != nil {
		return nil, err
	}
	a.Path = path
	a.ID, err = strconv.ParseInt(strings.TrimPrefix(rest[0], "#"), 10, 64)
	if err != nil || a.ID <= 0 {
		return nil, errorf("pipe runs lists the runs and their IDs", "%q is not a run ID", rest[0])
	}
	a.ViewType = jsonOrHuman(*asJSON)
	return a, nil
}
