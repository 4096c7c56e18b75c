package arguments

import (
	"fmt"
	"runtime"
	"time"
)

// Apply is pipe apply's command line.
type Apply struct {
	View
	Workspace
	Steps
	// Path is the pipeline (a folder or one file) or a saved plan.
	Path string
	// Parallelism is -parallelism: steps at once, and the cores each may
	// use. At least 1; the number of CPUs by default.
	Parallelism int
	// LockTimeout is -lock-timeout: how long to wait for another apply.
	LockTimeout time.Duration
	// Trigger is -trigger as given, "" for the default.
	Trigger string
	// OpenLineage is -openlineage: a URL or file, "" for the default.
	OpenLineage string
	// PlanDigest is -plan-digest: the digest the saved plan must have
	// ("sha256:…"), "" for any.
	PlanDigest string
	// TrustPlanLocation is -trust-plan-location: apply a saved plan
	// against its own store and pipeline folder even when they are not
	// what this apply resolves.
	TrustPlanLocation bool
	// ViewType is human or -json.
	ViewType ViewType
}

// ParseApply parses pipe apply's arguments.
func ParseApply(args []string) (*Apply, error) {
	a := &Apply{ViewType: ViewHuman}
	fs := newFlags("apply")
	asJSON := fs.Bool("json", false, "")
	fs.IntVar(&a.Parallelism, "parallelism", runtime.NumCPU(), "")
	fs.DurationVar(&a.LockTimeout, "lock-timeout", 0, "")
	fs.StringVar(&a.Trigger, "trigger", "", "")
	fs.StringVar(&a.OpenLineage, "openlineage", "", "")
	fs.StringVar(&a.PlanDigest, "plan-digest", "", "")
	fs.BoolVar(&a.TrustPlanLocation, "trust-plan-location", false, "")
	a.Workspace.register(fs)
	a.Workspace.registerExecutor(fs)
	a.Steps.register(fs)
	var err error
	if a.Path, err = parsePath(fs, args, &a.View); err != nil {
		return nil, err
	}
	if err := checkParallelism(a.Parallelism); err != nil {
		return nil, err
	}
	if err := a.Steps.resolve(); err != nil {
		return nil, err
	}
	if *asJSON {
		a.ViewType = ViewJSON
	}
	return a, nil
}

// checkParallelism refuses a -parallelism below 1.
func checkParallelism(n int) error {
	if n < 1 {
		return errorf(fmt.Sprintf("-parallelism=%d", runtime.NumCPU()), "-parallelism must be at least 1, not %d", n)
	}
	return nil
}

// ParallelismHelp documents -parallelism in a command's usage.
var ParallelismHelp = `  -parallelism=N      Steps run at once, and the cores each may use.
                      Default: the number of CPUs (` + fmt.Sprint(runtime.NumCPU()) + ` here).
`
