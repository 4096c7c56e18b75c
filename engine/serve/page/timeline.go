package page

import (
	"fmt"
	"time"

	"github.com/pipe-ml/pipe/engine/registry"
)

// Timeline sizes, in SVG user units.
const (
	timelineLabelW = 200
	timelineBarsW  = 640
	timelineRowH   = 24
	timelineTop    = 22
)

// timeline is when each step of a run started and ended, drawn as bars
// on one time axis from the run's start.
type timeline struct {
	Width, Height int
	BarsX         int
	Ticks         []tick
	Rows          []timelineRow
}

type tick struct {
	X     int
	Label string
}

type timelineRow struct {
	Step, Class, Href, Took string
	// Y is the row's top; X and W the bar's.
	Y, X, W int
	// Open is true for a step still running: its bar ends now.
	Open bool
}

// makeTimeline lays out the executions of a run on a time axis from its
// start to its end (or to now, while it runs). Steps that did not run
// (cached, skipped) are thin marks where they were recorded.
func makeTimeline(run *registry.RunDetail, now time.Time, href func(step string) string) *timeline {
	if len(run.Executions) == 0 {
		return nil
	}
	start, end := run.Started, run.Ended
	if end.IsZero() {
		end = now
	}
	for _, e := range run.Executions {
		if e.Started.Before(start) {
			start = e.Started
		}
		if e.Ended.After(end) {
			end = e.Ended
		}
	}
	span := end.Sub(start)
	if span <= 0 {
		span = time.Millisecond
	}
	x := func(t time.Time) int {
		return timelineLabelW + int(float64(timelineBarsW)*float64(t.Sub(start))/float64(span))
	}
	tl := &timeline{Width: timelineLabelW + timelineBarsW + 90, BarsX: timelineLabelW, Ticks: ticks(span, x, start)}
	for i, e := range run.Executions {
		ended, open := e.Ended, false
		if ended.IsZero() {
			ended, open = end, e.Status == registry.ExecRunning
		}
		r := timelineRow{Step: e.Step, Class: e.Status, Href: href(e.Step), Y: timelineTop + i*timelineRowH, X: x(e.Started), Open: open}
		r.W = max(x(ended)-r.X, 2)
		if !e.Ended.IsZero() {
			r.Took = humanDuration(e.Ended.Sub(e.Started))
		}
		tl.Rows = append(tl.Rows, r)
	}
	tl.Height = timelineTop + len(tl.Rows)*timelineRowH + 8
	return tl
}

// ticks marks the time axis at a round step that gives four to ten marks.
func ticks(span time.Duration, x func(time.Time) int, start time.Time) []tick {
	steps := []time.Duration{
		time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond,
		50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
		time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
		time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
	}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if span/s <= 8 {
			step = s
			break
		}
	}
	var out []tick
	for t := time.Duration(0); t <= span; t += step {
		out = append(out, tick{X: x(start.Add(t)), Label: tickLabel(t)})
	}
	return out
}

func tickLabel(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%gs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%gm", d.Minutes())
	}
	return fmt.Sprintf("%gh", d.Hours())
}
