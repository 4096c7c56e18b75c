package applies

import (
	"sync"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/trigger"
)

// Queue holds at most one request: pushes coalesce, and a schedule
// request replaces a watch request (it applies unconditionally, which
// covers what the watch request would have done). It is safe for
// concurrent use.
type Queue struct {
	mu      sync.Mutex
	pending *trigger.Request
	wake    chan struct{}
}

// NewQueue returns an empty queue.
func NewQueue() *Queue { return &Queue{wake: make(chan struct{}, 1)} }

// Push adds r, coalescing it with the request pending. It never blocks.
func (q *Queue) Push(r trigger.Request) {
	q.mu.Lock()
	if q.pending == nil || r.Trigger == registry.TriggerSchedule {
		q.pending = &r
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Take returns the pending request and empties the queue, or returns nil.
func (q *Queue) Take() *trigger.Request {
	q.mu.Lock()
	defer q.mu.Unlock()
	r := q.pending
	q.pending = nil
	return r
}

// Wake receives a signal after a Push.
func (q *Queue) Wake() <-chan struct{} { return q.wake }
