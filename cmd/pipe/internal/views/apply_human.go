package views

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pipe-ml/pipe/engine/apply"
	"github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/runner"
)

// applyHuman prints an apply for a person: the plan, a line when a step
// starts running and when it finishes, warnings as they come, what a
// step on a remote executor waits for and the lines of its log, and on a
// terminal (View.Live) a status line for the steps still running,
// rewritten in place. Diagnostics go to stderr as text; an error that
// stopped the apply is printed by the CLI.
type applyHuman struct {
	*View
	mu      sync.Mutex
	willRun map[string]bool
	running map[string]*runningStep
	shown   bool // a live line is on screen
	stop    chan struct{}
	done    chan struct{}
}

type runningStep struct {
	started     time.Time
	done, total int64
	note        string
}

func (v *applyHuman) Plan(d *plan.Document) {
	v.mu.Lock()
	v.willRun = map[string]bool{}
	for _, s := range d.Steps {
		v.willRun[s.Address] = s.Action == plan.Run
	}
	writePlan(v.Stdout, d, v.ColorOut)
	fmt.Fprintln(v.Stdout)
	v.mu.Unlock()
	if v.Live {
		v.stop, v.done = make(chan struct{}), make(chan struct{})
		go v.tick()
	}
}

func (v *applyHuman) Failed(error) {}

func (v *applyHuman) Result(out *runner.Outcome, registryPath string) {
	ran, cached, failed := out.Result.Counts()
	elapsed := out.Duration.Round(time.Millisecond)
	switch out.Status {
	case registry.RunSucceeded:
		fmt.Fprintf(v.Stdout, "\nApply complete: %d ran, %d cached, in %s. Run %d is in %s.\n", ran, cached, elapsed, out.RunID, registryPath)
	case registry.RunCancelled:
		fmt.Fprintf(v.Stdout, "\nApply cancelled after %s: %d ran, %d cached. Apply again to resume from the cache.\n", elapsed, ran, cached)
	default:
		fmt.Fprintf(v.Stdout, "\nApply failed: %d ran, %d cached, %d failed or skipped. Fix the error and apply again: what finished is cached.\n", ran, cached, failed)
	}
}

// line prints a line above the live status line.
func (v *applyHuman) line(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clearLive()
	fmt.Fprintf(v.Stdout, format+"\n", args...)
	v.drawLive()
}

func (v *applyHuman) Event(e apply.Event) {
	color := v.ColorOut
	switch e.Type {
	case apply.StepStarted:
		v.mu.Lock()
		v.running[e.Step] = &runningStep{started: e.Time}
		v.mu.Unlock()
		if v.willRun[e.Step] {
			v.line("%s: running", e.Step)
		}
	case apply.StepProgress:
		v.mu.Lock()
		if r := v.running[e.Step]; r != nil {
			r.done, r.total, r.note = e.Done, e.Total, e.Note
		}
		v.mu.Unlock()
	case apply.StepWarning:
		v.line("%s: %s %s", e.Step, paint(color, ansiYellow, "warning:"), e.Warning)
	case apply.StepRestored:
		v.line("%s: restored %s from the store (%s)", e.Step, e.File, e.Note)
	case apply.StepWaiting:
		v.line("%s: waiting on %s: %s", where(e), e.Executor, e.Note)
	case apply.StepRunning:
		v.line("%s: running on %s (%s)", where(e), e.Executor, e.Where)
	case apply.StepRetrying:
		v.line("%s: %s on %s: %s", where(e), paint(color, ansiYellow, "retrying"), e.Executor, e.Note)
	case apply.StepLog:
		v.line("%s: %s", where(e), paint(color, ansiDim, e.Line))
	case apply.StepFinished:
		v.mu.Lock()
		delete(v.running, e.Step)
		v.mu.Unlock()
		d := time.Duration(e.Duration * float64(time.Second)).Round(time.Millisecond)
		switch e.Status {
		case apply.Ran:
			v.line("%s: %s in %s", e.Step, paint(color, ansiGreen, "ran"), d)
		case apply.Cached:
			v.line("%s: %s", e.Step, paint(color, ansiDim, "cached"))
		case apply.Failed:
			v.line("%s: %s after %s", e.Step, paint(color, ansiRed, "failed"), d)
		default:
			v.line("%s: %s (%s)", e.Step, e.Status, e.Error)
		}
	}
}

// where names the step (and the shard) an event of a remote step is
// about: "search.lr[3]".
func where(e apply.Event) string {
	if e.Shard != nil {
		return fmt.Sprintf("%s[%d]", e.Step, *e.Shard)
	}
	return e.Step
}

// tick redraws the live line while steps run.
func (v *applyHuman) tick() {
	defer close(v.done)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			v.mu.Lock()
			v.clearLive()
			v.mu.Unlock()
			return
		case <-t.C:
			v.mu.Lock()
			v.clearLive()
			v.drawLive()
			v.mu.Unlock()
		}
	}
}

// clearLive and drawLive are called with mu held.
func (v *applyHuman) clearLive() {
	if v.shown {
		io.WriteString(v.Stdout, "\r\x1b[K")
		v.shown = false
	}
}

func (v *applyHuman) drawLive() {
	if !v.Live || len(v.running) == 0 {
		return
	}
	var names []string
	for n := range v.running {
		if v.willRun[n] {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return
	}
	slices.Sort(names)
	var parts []string
	for _, n := range names {
		r := v.running[n]
		s := fmt.Sprintf("%s %s", n, time.Since(r.started).Round(time.Second))
		switch {
		case r.total > 0:
			s += fmt.Sprintf(" %d/%d", r.done, r.total)
		case r.done > 0:
			s += fmt.Sprintf(" %d", r.done)
		}
		if r.note != "" {
			s += " " + r.note
		}
		parts = append(parts, s)
	}
	line := "… " + strings.Join(parts, " | ")
	if len(line) > 120 {
		line = line[:119] + "…"
	}
	io.WriteString(v.Stdout, line)
	v.shown = true
}

// Stop ends the live line.
func (v *applyHuman) Stop() {
	if v.stop != nil {
		close(v.stop)
		<-v.done
		v.stop = nil
	}
}
