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
	if parallelism < 1 {
		parallelism = 1
	}
	position := make(map[string]int, len(order))
	for i, v := range order {
		position[v] = i
	}

	var (
		mu       sync.Mutex
		results  = make(map[string]Result, len(order))
		pending  = make(map[string]int, len(order))
		ready    []string
		running  int
		finished = make(chan struct{}, len(order))
	)
	for _, v := range order {
		pending[v] = len(g.deps[v])
		if pending[v] == 0 {
			ready = append(ready, v)
		}
	}

	// settle records r for v and releases or skips its dependents. The
	// caller holds mu.
	var settle func(v string, r Result)
	settle = func(v string, r Result) {
		results[v] = r
		for _, d := range g.Dependents(v) {
			if _, done := results[d]; done {
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
				settle(d, Result{Status: st, Cause: cause, Err: r.Err})
				continue
			}
			pending[d]--
			if pending[d] == 0 {
				ready = append(ready, d)
			}
		}
	}

	var wg sync.WaitGroup
	mu.Lock()
	for len(results) < len(order) {
		// Start what is ready, in topological order, up to the limit.
		sortByPosition(ready, position)
		for len(ready) > 0 && running < parallelism {
			v := ready[0]
			ready = ready[1:]
			if _, done := results[v]; done {
				continue
			}
			if ctx.Err() != nil {
				settle(v, Result{Status: Cancelled, Err: ctx.Err()})
				continue
			}
			running++
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := visit(ctx, v)
				mu.Lock()
				running--
				switch {
				case err == nil:
					settle(v, Result{Status: Done})
				case ctx.Err() != nil:
					settle(v, Result{Status: Cancelled, Err: err})
				default:
					settle(v, Result{Status: Failed, Err: err})
				}
				mu.Unlock()
				finished <- struct{}{}
			}()
		}
		if len(results) == len(order) {
			break
		}
		if running == 0 && len(ready) == 0 {
			// Nothing runs and nothing is ready: every remaining vertex
			// was settled by a failure or cancellation above.
			break
		}
		mu.Unlock()
		<-finished
		mu.Lock()
	}
	mu.Unlock()
	wg.Wait()
	return results
}

func sortByPosition(vs []string, position map[string]int) {
	for i := 1; i < len(vs); i++ {
		for j := i; j > 0 && position[vs[j]] < position[vs[j-1]]; j-- {
			vs[j], vs[j-1] = vs[j-1], vs[j]
		}
	}
}
