package arguments

import (
	"os"
	"strings"

	"github.com/pipe-ml/pipe/engine/config"
)

// Output is pipe output's command line.
type Output struct {
	View
	Workspace
	// Path is the pipeline: a folder or one file.
	Path string
	// Step, when not zero, is the one step whose outputs to print, and
	// Name, when not "", the one output of it.
	Step config.StepAddr
	Name string
	// ViewType is human or -json.
	ViewType ViewType
}

// ParseOutput parses pipe output's arguments: [PATH] [STEP[.OUTPUT]]. A
// single argument is the pipeline's PATH when it exists or has no dot in
// it, else a STEP.
func ParseOutput(args []string) (*Output, error) {
	a := &Output{Path: "."}
	fs := newFlags("output")
	asJSON := fs.Bool("json", false, "")
	a.Workspace.register(fs)
	args, err := parse(fs, args, &a.View)
	if err != nil {
		return nil, err
	}
	want := ""
	switch len(args) {
	case 0:
	case 1:
		if _, err := os.Stat(args[0]); err != nil && strings.Count(args[0], ".") >= 1 {
			want = args[0]
		} else {
			a.Path = args[0]
		}
	case 2:
		a.Path, want = args[0], args[1]
	default:
		return nil, usageErrorf("too many arguments")
	}
	if want != "" {
		parts := strings.SplitN(want, ".", 3)
		if a.Step, err = config.ParseStepAddr(strings.Join(parts[:min(2, len(parts))], ".")); err != nil {
			return nil, &Error{Msg: err.Error(), Try: "name a step as KIND.NAME or an output as KIND.NAME.OUTPUT"}
		}
		if len(parts) == 3 {
			a.Name = parts[2]
		}
	}
	a.ViewType = jsonOrHuman(*asJSON)
	return a, nil
}
