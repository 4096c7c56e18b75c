package trigger

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/pipe-ml/pipe/engine/registry"
)

// Scheduler pushes a schedule request at each time of a Schedule.
type Scheduler struct {
	Schedule *Schedule
	Clock    Clock
	Push     Push
	Log      *slog.Logger

	mu   sync.Mutex
	next time.Time
}

// Run pushes a request at each time of the schedule until ctx ends, or
// until the schedule has no next time (which it logs).
func (s *Scheduler) Run(ctx context.Context) {
	from := s.Clock.Now()
	for {
		next := s.Schedule.Next(from)
		if next.IsZero() {
			s.Log.Error("the schedule has no next time; scheduled applies stop", "schedule", s.Schedule.String())
			return
		}
		s.mu.Lock()
		s.next = next
		s.mu.Unlock()
		s.Log.Debug("next scheduled apply", "at", next.UTC().Format(time.RFC3339))
		select {
		case <-ctx.Done():
			return
		case <-s.Clock.After(next.Sub(s.Clock.Now())):
		}
		s.Push(Request{Trigger: registry.TriggerSchedule, Reason: "schedule " + s.Schedule.expr})
		from = next
	}
}

// Next is the next time the schedule pushes, or the zero time before Run
// computed it. A nil Scheduler has none.
func (s *Scheduler) Next() time.Time {
	if s == nil {
		return time.Time{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next
}
