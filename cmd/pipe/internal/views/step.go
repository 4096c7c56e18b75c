package views

import (
	"fmt"
	"sync"
	"time"
)

// StepExec prints what a worker does, for the pod's log: the step's
// progress and warnings as lines on stderr, which apply streams into its
// own output under the step's name, and how it ended on stdout.
type StepExec struct {
	*View
	mu   sync.Mutex
	step string
	last time.Time
}

// NewStepExec returns pipe step exec's view.
func NewStepExec(v *View) *StepExec { return &StepExec{View: v} }

// Step names the step the lines are about, once the document is read.
func (v *StepExec) Step(addr string, shard int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.step = addr
	if shard >= 0 {
		v.step = fmt.Sprintf("%s[shard %d]", addr, shard)
	}
}

// Progress prints a progress report, at most one a second and always
// the last.
func (v *StepExec) Progress(done, total int64, note string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if now := time.Now(); now.Sub(v.last) >= time.Second || total > 0 && done == total {
		v.last = now
		fmt.Fprintln(v.Stderr, note)
	}
}

// Warning prints a warning the step raised.
func (v *StepExec) Warning(w string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fmt.Fprintf(v.Stderr, "warning: %s\n", w)
}

// Done says the step (or shard) is in the store: made now, or found.
func (v *StepExec) Done(key string, found bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if found {
		fmt.Fprintf(v.Stdout, "Already in the store (key %s); nothing to do.\n", key)
		return
	}
	fmt.Fprintf(v.Stdout, "Done (key %s).\n", key)
}

// Failed prints why the step failed or the worker refused it.
func (v *StepExec) Failed(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fmt.Fprintf(v.Stderr, "Error: %s\n", err)
}
