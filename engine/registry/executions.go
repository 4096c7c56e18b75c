package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/engine/internal/failpoint"
	"github.com/pipe-ml/pipe/engine/registry/index"
	"github.com/pipe-ml/pipe/engine/registry/txlog"
)

var execEndStatuses = []string{ExecRan, ExecCached, ExecFailed, ExecSkipped, ExecCancelled}

// ExecutionResult is how an execution started with StartExecution ended.
type ExecutionResult struct {
	// Status is one of ExecRan, ExecCached, ExecFailed, ExecSkipped,
	// ExecCancelled.
	Status string
	// Ended defaults to now.
	Ended    time.Time
	Error    string
	Outputs  json.RawMessage
	Warnings []string
	Produced []ArtifactRef
	// Executor is where the step ran, when it ran: "local", "process",
	// "kubernetes".
	Executor string
}

// checkJSON checks that raw is JSON (or empty).
func checkJSON(what string, raw json.RawMessage) error {
	if len(bytes.TrimSpace(raw)) == 0 || json.Valid(raw) {
		return nil
	}
	var b bytes.Buffer
	return fmt.Errorf("registry: execution %s is not valid JSON: %w", what, json.Compact(&b, raw))
}

// artifacts checks refs and converts them for the log.
func artifacts(refs []ArtifactRef) ([]txlog.Artifact, error) {
	var out []txlog.Artifact
	for _, r := range refs {
		if err := r.Normalize(); err != nil {
			return nil, unprefix(err)
		}
		out = append(out, txlog.Artifact{Digest: r.Digest, MediaType: r.MediaType, Size: r.Size, URI: r.URI, Kind: r.Kind, Name: r.Name, Path: r.Path})
	}
	return out, nil
}

// StartExecution records an execution that is starting, with status
// "running", its configuration, the artifacts and upstream executions it
// uses; FinishExecution records how it ended. An execution left running by
// a process that died is marked interrupted by MarkInterrupted. Status,
// Ended, Error, Outputs, Warnings and Produced are ignored here.
func (db *DB) StartExecution(ctx context.Context, e Execution) (int64, error) {
	e.Status = ExecRunning
	e.Ended, e.Error, e.Outputs, e.Warnings, e.Produced = time.Time{}, "", nil, nil, nil
	id, err := db.recordExecution(ctx, e, nil)
	failpoint.Hit("registry.execution.started") // test hook: the execution is recorded as running
	return id, err
}

// FinishExecution records the end of an execution started with
// StartExecution: its status, outputs, warnings and produced artifacts.
func (db *DB) FinishExecution(ctx context.Context, id int64, res ExecutionResult) error {
	if !slices.Contains(execEndStatuses, res.Status) {
		return fmt.Errorf("registry: execution status %q is not one of %s", res.Status, strings.Join(execEndStatuses, ", "))
	}
	if err := checkJSON("outputs", res.Outputs); err != nil {
		return err
	}
	produced, err := artifacts(res.Produced)
	if err != nil {
		return err
	}
	if res.Ended.IsZero() {
		res.Ended = db.now()
	}
	return db.change(ctx, func(ctx context.Context, tx *index.Tx) ([]txlog.Fact, error) {
		e, err := index.ExecutionByID(ctx, tx, id)
		switch {
		case err != nil:
			return nil, err
		case e.Status != ExecRunning:
			return nil, fmt.Errorf("registry: execution %d already ended (%s)", id, e.Status)
		}
		key, err := index.ExecutionKey(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		return []txlog.Fact{{ExecutionEnded: &txlog.ExecutionEnded{Execution: key, Status: res.Status, Ended: res.Ended,
			Error: res.Error, Outputs: res.Outputs, Warnings: res.Warnings, Produced: produced, Executor: res.Executor}}}, nil
	}, nil)
}

// RecordExecution records a whole execution at once: one that came from
// the cache, was skipped, or ran without StartExecution. Status must be
// one of ExecRan, ExecCached, ExecFailed, ExecSkipped, ExecCancelled. A
// cached execution lists the artifacts it would have used and the ones the
// cache gave back as produced, so lineage runs through it like through the
// execution that first made them.
func (db *DB) RecordExecution(ctx context.Context, e Execution) (int64, error) {
	if !slices.Contains(execEndStatuses, e.Status) {
		return 0, fmt.Errorf("registry: execution status %q is not one of %s", e.Status, strings.Join(execEndStatuses, ", "))
	}
	if e.Started.IsZero() {
		e.Started = db.now()
	}
	if e.Ended.IsZero() {
		e.Ended = db.now()
	}
	produced, err := artifacts(e.Produced)
	if err != nil {
		return 0, err
	}
	end := &txlog.ExecutionEnded{Status: e.Status, Ended: e.Ended, Error: e.Error, Outputs: e.Outputs, Warnings: e.Warnings, Produced: produced}
	return db.recordExecution(ctx, e, end)
}

// recordExecution records an execution's start, and its end when given,
// in one entry.
func (db *DB) recordExecution(ctx context.Context, e Execution, end *txlog.ExecutionEnded) (int64, error) {
	if e.RunID == 0 {
		return 0, errors.New("registry: execution has no run ID")
	}
	if e.Step == "" || e.Kind == "" {
		return 0, fmt.Errorf("registry: execution in run %d needs a step address and a kind", e.RunID)
	}
	for what, raw := range map[string]json.RawMessage{"config": e.Config, "outputs": e.Outputs} {
		if err := checkJSON(what, raw); err != nil {
			return 0, err
		}
	}
	used, err := artifacts(e.Used)
	if err != nil {
		return 0, err
	}
	if e.Started.IsZero() {
		e.Started = db.now()
	}
	key := newKey()
	var id int64
	err = db.change(ctx, func(ctx context.Context, tx *index.Tx) ([]txlog.Fact, error) {
		start, err := startFact(ctx, tx, e, key, used)
		if err != nil || end == nil {
			return []txlog.Fact{{ExecutionStarted: start}}, err
		}
		end.Execution = key
		return []txlog.Fact{{ExecutionStarted: start}, {ExecutionEnded: end}}, nil
	}, func(ctx context.Context, tx *index.Tx) (err error) {
		id, err = index.ExecutionID(ctx, tx, key)
		return err
	})
	return id, err
}

// startFact builds the execution_started fact of e, with the keys of its
// run and of the executions it depends on.
func startFact(ctx context.Context, tx *index.Tx, e Execution, key string, used []txlog.Artifact) (*txlog.ExecutionStarted, error) {
	run, err := index.RunKey(ctx, tx, e.RunID)
	if err != nil {
		return nil, fmt.Errorf("registry: execution %s refers to run %d, which does not exist", e.Step, e.RunID)
	}
	f := &txlog.ExecutionStarted{Execution: key, Run: run, Step: e.Step, Kind: e.Kind, KindVersion: e.KindVersion,
		CacheKey: e.CacheKey, Started: e.Started, Config: e.Config, Used: used}
	for _, d := range e.DependsOn {
		up, err := index.ExecutionKey(ctx, tx, d.ExecutionID)
		if err != nil {
			return nil, fmt.Errorf("registry: execution %s depends on execution %d, which does not exist", e.Step, d.ExecutionID)
		}
		f.DependsOn = append(f.DependsOn, txlog.Dependency{Execution: up, Name: d.Name})
	}
	return f, nil
}

// Execution returns one execution with its events and dependencies.
func (db *DB) Execution(ctx context.Context, id int64) (*Execution, error) {
	var e *Execution
	err := db.read(ctx, func(q index.Querier) (err error) {
		e, err = index.ExecutionByID(ctx, q, id)
		return err
	})
	return e, err
}

// Artifact returns the artifact with the given digest or unique digest
// prefix (at least 12 hex digits, with or without "sha256:").
func (db *DB) Artifact(ctx context.Context, digest string) (*ArtifactInfo, error) {
	var info *ArtifactInfo
	err := db.read(ctx, func(q index.Querier) error {
		id, err := index.ResolveDigest(ctx, q, digest)
		if err != nil {
			return err
		}
		m, err := index.ArtifactsByID(ctx, q, []int64{id})
		if err != nil {
			return err
		}
		a := m[id]
		info = &a
		return nil
	})
	return info, err
}
