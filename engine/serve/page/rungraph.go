package page

import (
	"github.com/pipe-ml/pipe/engine/dag"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/applies"
	"github.com/pipe-ml/pipe/engine/serve/snapshot"
)

// runGraph returns the graph of a run's steps. When the run was made from
// the pipeline loaded now (the same config digest), that is the engine's
// own graph of the pipeline (engine/graph), every step in it whether it
// ran yet or not. Otherwise it is the graph the run's records show: a step
// depends on another when it used an artifact the other produced in the
// run, or one of its values (search.lr.best).
func runGraph(run *registry.RunDetail, l *snapshot.Snapshot) *dag.Graph {
	if l != nil && l.Valid && l.Digest != "" && l.Digest == run.ConfigDigest &&
		l.Workspace != nil && l.Workspace.Pipeline != nil && l.Workspace.Pipeline.Graph != nil {
		// A copy: the page adds the steps it knows of to it.
		g := &dag.Graph{}
		pg := &l.Workspace.Pipeline.Graph.Graph
		for _, v := range pg.Vertices() {
			g.Add(v)
		}
		for _, e := range pg.Edges() {
			g.Connect(e.From, e.To)
		}
		return g
	}
	g := &dag.Graph{}
	producer := map[string]string{} // artifact digest -> step
	byID := map[int64]string{}
	for _, e := range run.Executions {
		g.Add(e.Step)
		byID[e.ID] = e.Step
		for _, a := range e.Produced {
			producer[a.Digest] = e.Step
		}
	}
	for _, e := range run.Executions {
		for _, a := range e.Used {
			if p, ok := producer[a.Digest]; ok && p != e.Step {
				g.Connect(e.Step, p)
			}
		}
		for _, d := range e.DependsOn {
			if p, ok := byID[d.ExecutionID]; ok && p != e.Step {
				g.Connect(e.Step, p)
			}
		}
	}
	return g
}

// stepStates says where each step of a run is: how its execution ended,
// or, for the apply in progress, what the applier last heard (running,
// planned, or cached by the plan). Steps neither recorded nor planned are
// "planned".
func stepStates(run *registry.RunDetail, live *applies.Progress) map[string]string {
	out := map[string]string{}
	if live != nil && live.RunID == run.ID {
		for _, p := range live.Steps {
			out[p.Step] = p.Status
		}
	}
	for _, e := range run.Executions {
		// A finished execution is final; a running one may be newer in
		// the applier's view.
		if e.Status != registry.ExecRunning || out[e.Step] == "" {
			out[e.Step] = e.Status
		}
	}
	return out
}
