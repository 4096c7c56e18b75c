package serve

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/lock"
	"github.com/pipe-ml/pipe/engine/serve/api"
	"github.com/pipe-ml/pipe/engine/serve/applies"
	"github.com/pipe-ml/pipe/engine/serve/trigger"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	changed chan struct{}
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, changed: make(chan struct{}, 1)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{c.now.Add(d), ch})
	select {
	case c.changed <- struct{}{}:
	default:
	}
	return ch
}

// waitFor blocks until something waits for the time at.
func (c *fakeClock) waitFor(t *testing.T, at time.Time) {
	t.Helper()
	deadline := time.After(checkTimeout)
	for {
		c.mu.Lock()
		for _, w := range c.waiters {
			if w.at.Equal(at) {
				c.mu.Unlock()
				return
			}
		}
		c.mu.Unlock()
		select {
		case <-c.changed:
		case <-deadline:
			t.Fatalf("nothing waits for %s", at)
		}
	}
}

// set moves the clock to now and wakes the waiters due.
func (c *fakeClock) set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- now
	}
	c.waiters = kept
}

func TestScheduleApplies(t *testing.T) {
	clk := newFakeClock(time.Date(2026, 11, 25, 1, 59, 30, 0, time.UTC))
	sched, err := trigger.ParseSchedule("0 2 * * *", nil)
	if err != nil {
		t.Fatal(err)
	}
	f := start(t, writePipeline(t, validPipeline), func(o *Options) {
		o.Watch = false
		o.Schedule = sched
		o.clock = clk
	})

	first := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	clk.waitFor(t, first)
	var st api.Status
	f.getJSON("/api/status", 200, &st)
	if !st.NextRun.Equal(first) || st.Schedule != "0 2 * * * UTC" {
		t.Errorf("status: next %s, schedule %q", st.NextRun, st.Schedule)
	}
	clk.set(first)
	c := f.expect(applies.OutcomeApplied)
	if c.Trigger != "schedule" || c.Status != "succeeded" || c.ToRun != 2 {
		t.Errorf("first scheduled check: %+v", c)
	}

	// The next day nothing changed, but a schedule applies anyway, as the
	// CronJob does: the run is recorded, every step cached.
	second := first.Add(24 * time.Hour)
	clk.waitFor(t, second)
	clk.set(second)
	c = f.expect(applies.OutcomeApplied)
	if c.Trigger != "schedule" || c.ToRun != 0 || c.Cached != 2 {
		t.Errorf("second scheduled check: %+v", c)
	}
	runs := f.runs()
	if len(runs) != 2 || runs[0].Trigger != "schedule" || runs[1].Trigger != "schedule" {
		t.Errorf("runs: %+v", runs)
	}
	clk.waitFor(t, second.Add(24*time.Hour))
	if n := f.counter.Total(); n != 2 {
		t.Errorf("%d executions, want 2", n)
	}
}

func TestLockHeldByAnotherApply(t *testing.T) {
	dir := writePipeline(t, validPipeline)
	state := t.TempDir()
	held, err := lock.Acquire(context.Background(), state, lock.Info{Operation: "apply"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	clk := newFakeClock(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	f := start(t, dir, func(o *Options) {
		o.Workspace.StateDir = state
		o.Debounce = time.Second
		o.LockRetry = time.Minute
		o.clock = clk
	})
	c := f.expect(applies.OutcomeLockHeld)
	if !strings.Contains(c.Message, "another apply holds the state lock") {
		t.Errorf("check: %+v", c)
	}
	_, m, _ := f.get("/metrics")
	if !strings.Contains(m, `pipe_run_in_progress{pipeline="demo"} 1`) {
		t.Errorf("/metrics while another apply holds the lock:\n%s", grep(m, "in_progress"))
	}
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	retry := clk.Now().Add(time.Minute)
	clk.waitFor(t, retry)
	clk.set(retry)
	c = f.expect(applies.OutcomeApplied)
	if c.Reason != "retry after the lock was held" || c.Status != "succeeded" {
		t.Errorf("retry: %+v", c)
	}
}

// slowPipeline has a step that sleeps for the given time.
func slowPipeline(sleep string) string {
	return `pipeline "demo" {}

source "corpus" {
  path = "data/*.txt"
}

transform "slow" {
  input = source.corpus.data
  sleep = "` + sleep + `"
}
`
}

// waitRunning polls the status until a step of the current apply runs,
// and returns the run's ID.
func (f *fixture) waitRunning(step string) int64 {
	f.t.Helper()
	deadline := time.Now().Add(checkTimeout)
	for time.Now().Before(deadline) {
		st := f.srv.status()
		if st.Current != nil && st.Current.RunID != 0 {
			for _, p := range st.Current.Steps {
				if p.Step == step && p.Status == "running" {
					return st.Current.RunID
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.t.Fatalf("%s never ran", step)
	return 0
}

func TestShutdownGrace(t *testing.T) {
	t.Run("the apply finishes within the grace", func(t *testing.T) {
		clk := newFakeClock(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
		f := start(t, writePipeline(t, slowPipeline("300ms")), func(o *Options) { o.Grace = time.Hour; o.clock = clk })
		f.waitRunning("transform.slow")
		f.cancel()
		c := f.next()
		if c.Outcome != applies.OutcomeApplied || c.Status != "succeeded" {
			t.Errorf("check: %+v", c)
		}
		if err := f.wait(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the grace runs out", func(t *testing.T) {
		clk := newFakeClock(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
		f := start(t, writePipeline(t, slowPipeline("30s")), func(o *Options) { o.Grace = time.Minute; o.clock = clk })
		f.waitRunning("transform.slow")
		f.cancel()
		clk.waitFor(t, clk.Now().Add(time.Minute))
		clk.set(clk.Now().Add(time.Minute))
		c := f.next()
		if c.Outcome != applies.OutcomeApplied || c.Status != "cancelled" {
			t.Errorf("check: %+v", c)
		}
		if err := f.wait(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPoll(t *testing.T) {
	clk := newFakeClock(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	dir := writePipeline(t, validPipeline)
	f := start(t, dir, func(o *Options) {
		o.Watch = false
		o.Poll = time.Minute
		o.clock = clk
	})
	tick := func() {
		next := clk.Now().Add(time.Minute)
		clk.waitFor(t, next)
		clk.set(next)
	}
	tick()
	c := f.expect(applies.OutcomeApplied)
	if c.Trigger != "watch" || c.Reason != "poll" {
		t.Errorf("first poll: %+v", c)
	}
	tick()
	f.expect(applies.OutcomeUpToDate)
	// A change no event announced (Watch is off) is found by the next poll.
	write(t, filepath.Join(dir, "data", "a.txt"), "changed elsewhere\n")
	tick()
	f.expect(applies.OutcomeApplied)
}
