package dag

import (
	"context"
	"fmt"
	"sync"
)

// Status is how a vertex ended in a walk.
type Status int

const (
	// Done means the visit function returned nil.
	Done Status = iota
	// Failed means the visit function returned an error.
	Failed
	// Skipped means the vertex was not visited because something it
	// depends on failed or was skipped.
	Skipped
	// Cancelled means the walk's context was cancelled before the vertex
	// was visited.
	Cancelled
)

func (s Status) String() string {
	switch s {
	case Done:
		return "done"
	case Failed:
		return "failed"
	case Skipped:
		return "skipped"
	case Cancelled:
		return "cancelled"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Result is the outcome of one vertex in a walk.
type Result struct {
	Status Status
	// Err is the visit function's error when Status is Failed, or the
	// name of the failed dependency's error when Skipped.
	Err error
	// Cause names the dependency whose failure skipped this vertex.
	Cause string
}

// Walk visits every vertex of an acyclic graph, each only after everything
// it depends on has been visited successfully, with at most parallelism
// visits at once (at least one). A vertex starts as soon as its last
// dependency finishes. When a visit fails, everything that depends on it is
// skipped while independent vertices go on. When ctx is cancelled, no new
// visit starts; running ones see the cancellation through their context.
// Walk returns when every visit has returned. It panics if the graph has a
// cycle: check with TopoOrder first.
func (g *Graph) Walk(ctx context.Context, parallelism int, visit func(ctx context.Context, v string) error) map[string]Result {
	order, ok := g.TopoOrder()
	if !ok {
		panic("dag: Walk on a graph with a cycle")
	}
	w := newWalker(g, order, max(parallelism, 1), visit)
	w.mu.Lock()
	for len(w.results) < len(order) {
		w.startReady(ctx)
		if len(w.results) == len(order) {
			break
		}
		if w.running == 0 && len(w.ready) == 0 {
			// Nothing runs and nothing is ready: every remaining vertex
			// was settled by a failure or cancellation above.
			break
		}
		w.mu.Unlock()
		<-w.finished
		w.mu.Lock()
	}
	w.mu.Unlock()
	w.wg.Wait()
	return w.results
}

// walker is the state of one Walk. mu guards everything but the fields
// set by newWalker.
type walker struct {
	g           *Graph
	parallelism int
	visit       func(ctx context.Context, v string) error
	// position is each vertex's index in the topological order, which
	// orders the ready ones.
	position map[string]int
	// finished receives one value per visit that returned.
	finished chan struct{}
	wg       sync.WaitGroup

	mu      sync.Mutex
	results map[string]Result
	// pending counts the dependencies of each vertex not yet done.
	pending map[string]int
	ready   []string
	running int
}

func newWalker(g *Graph, order []string, parallelism int, visit func(ctx context.Context, v string) error) *walker {
	w := &walker{
		g: g, parallelism: parallelism, visit: visit,
		position: make(map[string]int, len(order)),
		finished: make(chan struct{}, len(order)),
		results:  make(map[string]Result, len(order)),
		pending:  make(map[string]int, len(order)),
	}
	for i, v := range order {
		w.position[v] = i
		w.pending[v] = len(g.deps[v])
		if w.pending[v] == 0 {
			w.ready = append(w.ready, v)
		}
	}
	return w
}

// startReady starts what is ready, in topological order, up to the
// limit; after a cancellation it settles what is ready instead. The
// caller holds mu.
func (w *walker) startReady(ctx context.Context) {
	sortByPosition(w.ready, w.position)
	for len(w.ready) > 0 && w.running < w.parallelism {
		v := w.ready[0]
		w.ready = w.ready[1:]
		if _, done := w.results[v]; done {
			continue
		}
		if ctx.Err() != nil {
			w.settle(v, Result{Status: Cancelled, Err: ctx.Err()})
			continue
		}
		w.running++
		w.wg.Add(1)
		go w.run(ctx, v)
	}
}

// run visits v and settles it.
func (w *walker) run(ctx context.Context, v string) {
	defer w.wg.Done()
	err := w.visit(ctx, v)
	w.mu.Lock()
	w.running--
	switch {
	case err == nil:
		w.settle(v, Result{Status: Done})
	case ctx.Err() != nil:
		w.settle(v, Result{Status: Cancelled, Err: err})
	default:
		w.settle(v, Result{Status: Failed, Err: err})
	}
	w.mu.Unlock()
	w.finished <- struct{}{}
}

// settle records r for v and releases or skips its dependents. The
// caller holds mu.
func (w *walker) settle(v string, r Result) {
	w.results[v] = r
	for _, d := range w.g.Dependents(v) {
		if _, done := w.results[d]; done {
			continue
		}
		if r.Status != Done {
			cause := v
			if r.Status == Skipped {
				cause = r.Cause
			}
			st := Skipped
			if r.Status == Cancelled {
				st = Cancelled
			}
			w.settle(d, Result{Status: st, Cause: cause, Err: r.Err})
			continue
		}
		w.pending[d]--
		if w.pending[d] == 0 {
			w.ready = append(w.ready, d)
		}
	}
}

func sortByPosition(vs []string, position map[string]int) {
	for i := 1; i < len(vs); i++ {
		for j := i; j > 0 && position[vs[j]] < position[vs[j-1]]; j-- {
			vs[j], vs[j-1] = vs[j-1], vs[j]
		}
	}
}
