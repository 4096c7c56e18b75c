package index

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Execution statuses.
const (
	ExecRunning     = "running"     // started, not finished
	ExecRan         = "ran"         // ran and succeeded
	ExecCached      = "cached"      // outputs came from the cache
	ExecFailed      = "failed"      // ran and failed
	ExecSkipped     = "skipped"     // not run because an upstream step failed
	ExecCancelled   = "cancelled"   // stopped on purpose
	ExecInterrupted = "interrupted" // the process died; set by the next run from its state folder
)

// Execution is one step in one run.
type Execution struct {
	ID    int64 `json:"id"`
	RunID int64 `json:"run_id"`
	// Step is the step's address, e.g. "train.model".
	Step string `json:"step"`
	// Kind and KindVersion are the step kind's name and version.
	Kind        string    `json:"kind"`
	KindVersion string    `json:"kind_version"`
	CacheKey    string    `json:"cache_key,omitempty"`
	Status      string    `json:"status"`
	Started     time.Time `json:"started"`
	// Ended is zero while the execution runs.
	Ended time.Time `json:"ended,omitzero"`
	Error string    `json:"error,omitempty"`
	// Config is the evaluated configuration as JSON, already redacted by
	// the engine. Outputs are the outputs that are not artifacts, as a
	// JSON object (search's best params, evaluate's f1).
	Config   json.RawMessage `json:"config,omitempty"`
	Outputs  json.RawMessage `json:"outputs,omitempty"`
	Warnings []string        `json:"warnings,omitempty"`
	// Executor is where an execution that ran ran: "local", "process",
	// "kubernetes"; "" when it did not run or was recorded before pipe
	// recorded it.
	Executor string `json:"executor,omitempty"`
	// Used and Produced are the artifacts the execution read and wrote,
	// input files included (with Path set).
	Used     []ArtifactRef `json:"used,omitempty"`
	Produced []ArtifactRef `json:"produced,omitempty"`
	// DependsOn lists earlier executions whose non-artifact outputs this
	// one used (train.model's params came from search.lr.best).
	DependsOn []Dependency `json:"depends_on,omitempty"`
}

// Dependency says that an execution used a value that is not an artifact
// from another execution.
type Dependency struct {
	// ExecutionID is the upstream execution, in this run or an earlier one.
	ExecutionID int64 `json:"execution_id"`
	// Name is the reference as written in the pipeline, e.g.
	// "search.lr.best".
	Name string `json:"name,omitempty"`
}

// ExecutionColumns are the columns ScanExecution reads, in its order.
const ExecutionColumns = `id, run_id, step, kind, kind_version, cache_key, status, started_at, ended_at, error, config, outputs, warnings, executor`

// ScanExecution reads an execution's own columns (ExecutionColumns), not
// its events.
func ScanExecution(sc interface{ Scan(...any) error }) (Execution, error) {
	var (
		e                                      Execution
		key, errMsg, config, outputs, warnings sql.NullString
		executor                               sql.NullString
		started, ended                         sql.NullString
	)
	if err := sc.Scan(&e.ID, &e.RunID, &e.Step, &e.Kind, &e.KindVersion, &key, &e.Status, &started, &ended,
		&errMsg, &config, &outputs, &warnings, &executor); err != nil {
		return e, err
	}
	e.CacheKey, e.Error, e.Executor = key.String, errMsg.String, executor.String
	e.Started, e.Ended = ParseTime(started), ParseTime(ended)
	if config.Valid {
		e.Config = json.RawMessage(config.String)
	}
	if outputs.Valid {
		e.Outputs = json.RawMessage(outputs.String)
	}
	if warnings.Valid {
		if err := json.Unmarshal([]byte(warnings.String), &e.Warnings); err != nil {
			e.Warnings = []string{warnings.String}
		}
	}
	return e, nil
}

// ExecutionsWhere loads the executions matching a WHERE clause, in ID
// order, with their events and dependencies.
func ExecutionsWhere(ctx context.Context, q Querier, where string, args ...any) ([]Execution, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+ExecutionColumns+` FROM executions WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	var execs []Execution
	index := map[int64]int{}
	for rows.Next() {
		e, err := ScanExecution(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		index[e.ID] = len(execs)
		execs = append(execs, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(execs) == 0 {
		return execs, err
	}
	ids := make([]int64, len(execs))
	for i, e := range execs {
		ids[i] = e.ID
	}
	set := JSONIDs(ids)
	if err := addEvents(ctx, q, set, execs, index); err != nil {
		return nil, err
	}
	return execs, addDependencies(ctx, q, set, execs, index)
}

func addEvents(ctx context.Context, q Querier, set string, execs []Execution, index map[int64]int) error {
	rows, err := q.QueryContext(ctx, `SELECT ev.execution_id, ev.type, ev.name, ev.path, a.digest, a.media_type, a.size, a.kind, a.uri
		FROM events ev JOIN artifacts a ON a.id = ev.artifact_id
		WHERE ev.execution_id IN (SELECT value FROM json_each(?))
		ORDER BY ev.execution_id, ev.type, ev.name, a.digest`, set)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			eid       int64
			typ       string
			r         ArtifactRef
			path, uri sql.NullString
		)
		if err := rows.Scan(&eid, &typ, &r.Name, &path, &r.Digest, &r.MediaType, &r.Size, &r.Kind, &uri); err != nil {
			return err
		}
		r.Path, r.URI = path.String, uri.String
		e := &execs[index[eid]]
		if typ == "used" {
			e.Used = append(e.Used, r)
		} else {
			e.Produced = append(e.Produced, r)
		}
	}
	return rows.Err()
}

func addDependencies(ctx context.Context, q Querier, set string, execs []Execution, index map[int64]int) error {
	rows, err := q.QueryContext(ctx, `SELECT execution_id, upstream_id, name FROM execution_inputs
		WHERE execution_id IN (SELECT value FROM json_each(?)) ORDER BY execution_id, upstream_id, name`, set)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var eid int64
		var d Dependency
		if err := rows.Scan(&eid, &d.ExecutionID, &d.Name); err != nil {
			return err
		}
		e := &execs[index[eid]]
		e.DependsOn = append(e.DependsOn, d)
	}
	return rows.Err()
}

// ExecutionByID returns one execution with its events and dependencies.
func ExecutionByID(ctx context.Context, q Querier, id int64) (*Execution, error) {
	es, err := ExecutionsWhere(ctx, q, `id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("index: no execution %d", id)
	}
	return &es[0], nil
}
