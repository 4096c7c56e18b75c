package trigger

import (
	"context"
	"time"

	"github.com/pipe-ml/pipe/engine/registry"
)

// Request is a reason to check the pipeline, waiting to be handled.
type Request struct {
	// Trigger is registry.TriggerWatch or registry.TriggerSchedule: what
	// the run, if one is made, records as its trigger.
	Trigger string
	// Reason says what caused it, for logs and the status: "start",
	// "poll", "change in /data", "schedule 0 2 * * *".
	Reason string
}

// Push hands a request to whoever handles them (engine/serve/applies'
// queue). It must not block.
type Push func(Request)

// Clock is time as the triggers and the applies see it; tests replace it.
type Clock interface {
	Now() time.Time
	// After is time.After.
	After(d time.Duration) <-chan time.Time
}

// RealClock is the machine's time.
type RealClock struct{}

// Now is time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// After is time.After.
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Poll pushes a watch request with the reason "poll" every interval until
// ctx ends: inotify does not see writes made by another machine to a
// network file system.
func Poll(ctx context.Context, clock Clock, every time.Duration, push Push) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-clock.After(every):
			push(Request{Trigger: registry.TriggerWatch, Reason: "poll"})
		}
	}
}
