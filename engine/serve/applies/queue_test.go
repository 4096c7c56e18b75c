package applies

import (
	"testing"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/trigger"
)

func TestQueueCoalesces(t *testing.T) {
	const (
		triggerWatch    = registry.TriggerWatch
		triggerSchedule = registry.TriggerSchedule
	)
	q := NewQueue()
	if q.Take() != nil {
		t.Fatal("an empty queue gave a request")
	}
	q.Push(trigger.Request{Trigger: triggerWatch, Reason: "a"})
	q.Push(trigger.Request{Trigger: triggerWatch, Reason: "b"})
	if r := q.Take(); r == nil || r.Reason != "a" {
		t.Errorf("two watch triggers: %+v", r)
	}
	if q.Take() != nil {
		t.Error("a coalesced request was handed out twice")
	}
	q.Push(trigger.Request{Trigger: triggerWatch, Reason: "w"})
	q.Push(trigger.Request{Trigger: triggerSchedule, Reason: "s"})
	q.Push(trigger.Request{Trigger: triggerWatch, Reason: "w2"})
	if r := q.Take(); r == nil || r.Trigger != triggerSchedule {
		t.Errorf("a schedule trigger did not win: %+v", r)
	}
	if len(q.wake) != 1 {
		t.Errorf("wake has %d signals, want 1", len(q.wake))
	}
}
