package arguments

import (
	"flag"
	"runtime"
	"strings"
)

// StepExec is pipe step exec's command line: what a worker (a pod of
// the kubernetes executor) runs.
type StepExec struct {
	View
	// Input is the digest of the step-input document.
	Input string
	// Store is -store: the store's URL, "" for PIPE_STORE.
	Store string
	// Shard is -shard: the shard to run, -1 for the whole step.
	Shard int
	// TerminationLog is -termination-log: where to write the termination
	// message of a step error or a refusal.
	TerminationLog string
	// TerminationLogSet is true when -termination-log was given: the
	// file is then created when missing; the default only when it exists
	// (a pod's).
	TerminationLogSet bool
	// Parallelism is -parallelism: the cores the step may use.
	Parallelism int
}

// DefaultTerminationLog is where Kubernetes reads a container's
// termination message.
const DefaultTerminationLog = "/dev/termination-log"

// ParseStepExec parses pipe step exec's arguments (those after "exec").
func ParseStepExec(args []string) (*StepExec, error) {
	a := &StepExec{}
	fs := newFlags("step exec")
	fs.StringVar(&a.Store, "store", "", "")
	fs.IntVar(&a.Shard, "shard", -1, "")
	fs.StringVar(&a.TerminationLog, "termination-log", DefaultTerminationLog, "")
	fs.IntVar(&a.Parallelism, "parallelism", runtime.NumCPU(), "")
	args, err := parse(fs, args, &a.View)
	if err != nil {
		return nil, err
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "termination-log" {
			a.TerminationLogSet = true
		}
	})
	if len(args) != 1 {
		return nil, usageErrorf("step exec needs one DIGEST, the step-input document's: %s", strings.Join(args, " "))
	}
	a.Input = args[0]
	if a.Shard < -1 {
		return nil, errorf("-shard=0", "-shard is a shard's number from 0, not %d", a.Shard)
	}
	if err := checkParallelism(a.Parallelism); err != nil {
		return nil, err
	}
	return a, nil
}
