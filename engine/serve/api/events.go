package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/pipe-ml/pipe/engine/serve/applies"
)

// heartbeat is how often an event stream says it is alive, so that
// proxies keep it open.
const heartbeat = 15 * time.Second

// handleEvents streams a run's progress as server-sent events while it is
// the apply in progress:
//
//	event: progress   data: the apply in progress (applies.Progress), at
//	                  once and after each change
//	event: end        the run is not (or no longer) in progress
//
// A run that is not in progress gets end at once, so a page that asks
// late reloads and shows how the run ended.
func (a *API) handleEvents(w http.ResponseWriter, r *http.Request) {
	id, err := ParseRunID(r.PathValue("id"))
	if err != nil {
		a.WriteError(w, http.StatusBadRequest, err)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok || a.opts.Follow == nil {
		a.WriteError(w, http.StatusNotImplemented, fmt.Errorf("serve cannot stream events here"))
		return
	}
	if _, err := a.Run(r.Context(), id); err != nil {
		a.registryError(w, err)
		return
	}
	updates, stop := a.opts.Follow()
	defer stop()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(event string, v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
		flusher.Flush()
	}
	cur := a.opts.Status().Current
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		if cur == nil || cur.RunID != id {
			send("end", map[string]int64{"run_id": id})
			return
		}
		send("progress", cur)
		if cur, ok = a.nextProgress(r, updates, tick, w, flusher); !ok {
			return
		}
	}
}

// nextProgress waits for the next change of the apply in progress,
// saying the stream is alive meanwhile; ok is false when the client left
// or serve stops.
func (a *API) nextProgress(r *http.Request, updates <-chan *applies.Progress, tick *time.Ticker, w http.ResponseWriter, f http.Flusher) (*applies.Progress, bool) {
	for {
		select {
		case <-r.Context().Done():
			return nil, false
		case <-a.opts.Stopping():
			return nil, false
		case <-tick.C:
			fmt.Fprint(w, ": alive\n\n")
			f.Flush()
		case p := <-updates:
			return p, true
		}
	}
}
