package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pipe-ml/pipe/engine/apply"
)

// progress prints apply events: a line when a step starts running and when
// it finishes, warnings as they come; with live on, a status line for the
// steps still running, rewritten in place (a terminal only); with asJSON,
// one JSON object per line instead.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	asJSON  bool
	color   bool
	live    bool
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

func newProgress(w io.Writer, asJSON, color, live bool, willRun map[string]bool) *progress {
	p := &progress{w: w, asJSON: asJSON, color: color, live: live && !asJSON, willRun: willRun, running: map[string]*runningStep{}}
	if p.live {
		p.stop, p.done = make(chan struct{}), make(chan struct{})
		go p.tick()
	}
	return p
}

// json writes one NDJSON record.
func (p *progress) json(v any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, _ := json.Marshal(v)
	p.w.Write(append(b, '\n'))
}

// line prints a line above the live status line.
func (p *progress) line(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLive()
	fmt.Fprintf(p.w, format+"\n", args...)
	p.drawLive()
}

func (p *progress) event(e apply.Event) {
	if p.asJSON {
		p.json(e)
		return
	}
	paint := func(code, s string) string {
		if !p.color {
			return s
		}
		return code + s + ansiReset
	}
	switch e.Type {
	case apply.StepStarted:
		p.mu.Lock()
		p.running[e.Step] = &runningStep{started: e.Time}
		p.mu.Unlock()
		if p.willRun[e.Step] {
			p.line("%s: running", e.Step)
		}
	case apply.StepProgress:
		p.mu.Lock()
		if r := p.running[e.Step]; r != nil {
			r.done, r.total, r.note = e.Done, e.Total, e.Note
		}
		p.mu.Unlock()
	case apply.StepWarning:
		p.line("%s: %s %s", e.Step, paint(ansiYellow, "warning:"), e.Warning)
	case apply.StepFinished:
		p.mu.Lock()
		delete(p.running, e.Step)
		p.mu.Unlock()
		d := time.Duration(e.Duration * float64(time.Second)).Round(time.Millisecond)
		switch e.Status {
		case apply.Ran:
			p.line("%s: %s in %s", e.Step, paint(ansiGreen, "ran"), d)
		case apply.Cached:
			p.line("%s: %s", e.Step, paint(ansiDim, "cached"))
		case apply.Failed:
			p.line("%s: %s after %s", e.Step, paint(ansiRed, "failed"), d)
		default:
			p.line("%s: %s (%s)", e.Step, e.Status, e.Error)
		}
	}
}

// tick redraws the live line while steps run.
func (p *progress) tick() {
	defer close(p.done)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			p.mu.Lock()
			p.clearLive()
			p.mu.Unlock()
			return
		case <-t.C:
			p.mu.Lock()
			p.clearLive()
			p.drawLive()
			p.mu.Unlock()
		}
	}
}

// clearLive and drawLive are called with mu held.
func (p *progress) clearLive() {
	if p.shown {
		io.WriteString(p.w, "\r\x1b[K")
		p.shown = false
	}
}

func (p *progress) drawLive() {
	if !p.live || len(p.running) == 0 {
		return
	}
	var names []string
	for n := range p.running {
		if p.willRun[n] {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return
	}
	slices.Sort(names)
	var parts []string
	for _, n := range names {
		r := p.running[n]
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
	io.WriteString(p.w, line)
	p.shown = true
}

// close stops the live line.
func (p *progress) close() {
	if p.live {
		close(p.stop)
		<-p.done
	}
}
