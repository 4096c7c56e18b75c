package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/engine/internal/failpoint"
	"github.com/pipe-ml/pipe/engine/registry/index"
	"github.com/pipe-ml/pipe/engine/registry/txlog"
)

var runTriggers = []string{TriggerManual, TriggerCI, TriggerSchedule, TriggerWatch}

var runEndStatuses = []string{RunSucceeded, RunFailed, RunInterrupted, RunCancelled}

// BeginRun records the start of a run with status "running" and returns its
// ID. Started defaults to now; ID, Ended, Status and Error are ignored.
func (db *DB) BeginRun(ctx context.Context, r Run) (int64, error) {
	if r.Pipeline == "" {
		return 0, errors.New("registry: run has no pipeline name")
	}
	if !slices.Contains(runTriggers, r.Trigger) {
		return 0, fmt.Errorf("registry: run trigger %q is not one of %s", r.Trigger, strings.Join(runTriggers, ", "))
	}
	if r.Started.IsZero() {
		r.Started = db.now()
	}
	key := newKey()
	fact := &txlog.RunBegun{Run: key, Pipeline: r.Pipeline, Trigger: r.Trigger, ConfigDigest: r.ConfigDigest,
		GitCommit: r.GitCommit, GitDirty: r.GitDirty, GitBranch: r.GitBranch, PullRequest: r.PullRequest,
		PipeVersion: r.PipeVersion, Host: r.Host, User: r.User, StoreURL: r.StoreURL, Origin: r.Origin, Started: r.Started}
	var id int64
	err := db.change(ctx, func(context.Context, *index.Tx) ([]txlog.Fact, error) {
		return []txlog.Fact{{RunBegun: fact}}, nil
	}, func(ctx context.Context, tx *index.Tx) (err error) {
		id, err = index.RunID(ctx, tx, key)
		return err
	})
	failpoint.Hit("registry.run.begun") // test hook: the run is recorded as running
	return id, err
}

// EndRun records the end of a running run: status is one of RunSucceeded,
// RunFailed, RunInterrupted or RunCancelled, errMsg says why it did not
// succeed. Ending a run that is not running is an error.
func (db *DB) EndRun(ctx context.Context, id int64, status, errMsg string) error {
	if !slices.Contains(runEndStatuses, status) {
		return fmt.Errorf("registry: run status %q is not one of %s", status, strings.Join(runEndStatuses, ", "))
	}
	return db.change(ctx, func(ctx context.Context, tx *index.Tx) ([]txlog.Fact, error) {
		runs, err := index.RunsByID(ctx, tx, []int64{id})
		r, ok := runs[id]
		switch {
		case err != nil:
			return nil, err
		case !ok:
			return nil, fmt.Errorf("registry: no run %d", id)
		case r.Status != RunRunning:
			return nil, fmt.Errorf("registry: run %d already ended (%s)", id, r.Status)
		}
		key, err := index.RunKey(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		return []txlog.Fact{{RunEnded: &txlog.RunEnded{Run: key, Status: status, Error: errMsg, Ended: db.now()}}}, nil
	}, nil)
}

// interruptedMsg is the error of a run (and its executions) whose process
// died.
const interruptedMsg = "interrupted: the process stopped before the run finished"

// MarkInterrupted marks every run of the pipeline made from origin (a
// state folder, see Run.Origin) that is still "running" as "interrupted",
// and every running execution in those runs likewise, and returns how
// many runs it marked. An empty pipeline means every pipeline.
//
// The engine calls it while holding the state folder's lock, before
// BeginRun: no other process can be running from that folder then, so a
// "running" run from it is one whose process died. Runs from other state
// folders, on other machines, are left alone: they may be running.
//
// Only a process holding that lock begins runs from origin, so an index
// brought up to date since it was taken (Open does) holds them all: when
// it holds none, nothing is written (nearly every apply).
func (db *DB) MarkInterrupted(ctx context.Context, pipeline, origin string) (int, error) {
	var running map[int64]string
	err := db.read(ctx, func(q index.Querier) (err error) {
		running, err = index.RunningRuns(ctx, q, pipeline, origin)
		return err
	})
	if err == nil && len(running) == 0 {
		return 0, nil
	}
	var n int
	err = db.change(ctx, func(ctx context.Context, tx *index.Tx) ([]txlog.Fact, error) {
		runs, err := index.RunningRuns(ctx, tx, pipeline, origin)
		if err != nil {
			return nil, err
		}
		n = len(runs)
		return interruptFacts(ctx, tx, runs, db.now())
	}, nil)
	return n, err
}

// interruptFacts ends the running executions of runs, and the runs, as
// interrupted.
func interruptFacts(ctx context.Context, tx *index.Tx, runs map[int64]string, now time.Time) ([]txlog.Fact, error) {
	ids := make([]int64, 0, len(runs))
	for id := range runs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var facts []txlog.Fact
	for _, id := range ids {
		execs, err := index.ExecutionsWhere(ctx, tx, `run_id = ? AND status = 'running'`, id)
		if err != nil {
			return nil, err
		}
		for _, e := range execs {
			key, err := index.ExecutionKey(ctx, tx, e.ID)
			if err != nil {
				return nil, err
			}
			facts = append(facts, txlog.Fact{ExecutionEnded: &txlog.ExecutionEnded{Execution: key, Status: ExecInterrupted, Ended: now, Error: interruptedMsg}})
		}
		facts = append(facts, txlog.Fact{RunEnded: &txlog.RunEnded{Run: runs[id], Status: RunInterrupted, Error: interruptedMsg, Ended: now}})
	}
	return facts, nil
}

// Runs lists runs, newest first.
func (db *DB) Runs(ctx context.Context, f RunFilter) ([]Run, error) {
	var runs []Run
	err := db.read(ctx, func(q index.Querier) (err error) {
		runs, err = index.Runs(ctx, q, f)
		return err
	})
	return runs, err
}

// Run returns one run with its executions, or an error naming the ID when
// there is no such run.
func (db *DB) Run(ctx context.Context, id int64) (*RunDetail, error) {
	var d *RunDetail
	err := db.read(ctx, func(q index.Querier) (err error) {
		d, err = index.RunDetailByID(ctx, q, id)
		return err
	})
	return d, err
}
