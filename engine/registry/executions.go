package registry

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/engine/internal/failpoint"
)

// Execution statuses.
const (
	ExecRunning     = "running"     // started, not finished (StartExecution)
	ExecRan         = "ran"         // ran and succeeded
	ExecCached      = "cached"      // outputs came from the cache
	ExecFailed      = "failed"      // ran and failed
	ExecSkipped     = "skipped"     // not run because an upstream step failed
	ExecCancelled   = "cancelled"   // stopped on purpose
	ExecInterrupted = "interrupted" // the process died; set by MarkInterrupted
)

var execEndStatuses = []string{ExecRan, ExecCached, ExecFailed, ExecSkipped, ExecCancelled}

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
}

// compactJSON checks that raw is JSON and returns it compacted, or nil for
// an empty value.
func compactJSON(what string, raw json.RawMessage) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, fmt.Errorf("registry: execution %s is not valid JSON: %w", what, err)
	}
	return b.String(), nil
}

func warningsJSON(ws []string) any {
	if len(ws) == 0 {
		return nil
	}
	b, _ := json.Marshal(ws)
	return string(b)
}

// StartExecution records an execution that is starting, with status
// "running", its configuration, the artifacts and upstream executions it
// uses; FinishExecution records how it ended. An execution left running by
// a process that died is marked interrupted by MarkInterrupted. Status,
// Ended, Error, Outputs, Warnings and Produced are ignored here.
func (db *DB) StartExecution(ctx context.Context, e Execution) (int64, error) {
	e.Status = ExecRunning
	e.Ended, e.Error, e.Outputs, e.Warnings, e.Produced = time.Time{}, "", nil, nil, nil
	id, err := db.recordExecution(ctx, e)
	failpoint.Hit("registry.execution.started") // test hook: the execution is recorded as running
	return id, err
}

// FinishExecution records the end of an execution started with
// StartExecution: its status, outputs, warnings and produced artifacts.
func (db *DB) FinishExecution(ctx context.Context, id int64, res ExecutionResult) error {
	if !oneOf(res.Status, execEndStatuses) {
		return fmt.Errorf("registry: execution status %q is not one of %s", res.Status, strings.Join(execEndStatuses, ", "))
	}
	outputs, err := compactJSON("outputs", res.Outputs)
	if err != nil {
		return err
	}
	if res.Ended.IsZero() {
		res.Ended = db.now()
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT status FROM executions WHERE id = ?`, id).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("registry: no execution %d", id)
		}
		if err != nil {
			return err
		}
		if cur != ExecRunning {
			return fmt.Errorf("registry: execution %d already ended (%s)", id, cur)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE executions SET status = ?, ended_at = ?, error = ?, outputs = ?, warnings = ? WHERE id = ?`,
			res.Status, formatTime(res.Ended), nullString(res.Error), outputs, warningsJSON(res.Warnings), id); err != nil {
			return err
		}
		return db.insertEvents(ctx, tx, id, "produced", res.Produced)
	})
}

// RecordExecution records a whole execution at once: one that came from
// the cache, was skipped, or ran without StartExecution. Status must be
// one of ExecRan, ExecCached, ExecFailed, ExecSkipped, ExecCancelled. A
// cached execution lists the artifacts it would have used and the ones the
// cache gave back as produced, so lineage runs through it like through the
// execution that first made them.
func (db *DB) RecordExecution(ctx context.Context, e Execution) (int64, error) {
	if !oneOf(e.Status, execEndStatuses) {
		return 0, fmt.Errorf("registry: execution status %q is not one of %s", e.Status, strings.Join(execEndStatuses, ", "))
	}
	return db.recordExecution(ctx, e)
}

func (db *DB) recordExecution(ctx context.Context, e Execution) (int64, error) {
	if e.RunID == 0 {
		return 0, errors.New("registry: execution has no run ID")
	}
	if e.Step == "" || e.Kind == "" {
		return 0, fmt.Errorf("registry: execution in run %d needs a step address and a kind", e.RunID)
	}
	config, err := compactJSON("config", e.Config)
	if err != nil {
		return 0, err
	}
	outputs, err := compactJSON("outputs", e.Outputs)
	if err != nil {
		return 0, err
	}
	if e.Started.IsZero() {
		e.Started = db.now()
	}
	if e.Ended.IsZero() && e.Status != ExecRunning {
		e.Ended = db.now()
	}
	var id int64
	err = db.write(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = db.insertExecution(ctx, tx, e, config, outputs)
		return err
	})
	return id, err
}

func (db *DB) insertExecution(ctx context.Context, tx *sql.Tx, e Execution, config, outputs any) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO executions
		(run_id, step, kind, kind_version, cache_key, status, started_at, ended_at, error, config, outputs, warnings)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.RunID, e.Step, e.Kind, e.KindVersion, nullString(e.CacheKey), e.Status,
		formatTime(e.Started), nullTime(e.Ended), nullString(e.Error), config, outputs,
		warningsJSON(e.Warnings)).Scan(&id)
	if err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY") {
			return 0, fmt.Errorf("registry: execution %s refers to run %d, which does not exist", e.Step, e.RunID)
		}
		return 0, err
	}
	if err := db.insertEvents(ctx, tx, id, "used", e.Used); err != nil {
		return 0, err
	}
	if err := db.insertEvents(ctx, tx, id, "produced", e.Produced); err != nil {
		return 0, err
	}
	for _, d := range e.DependsOn {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO execution_inputs (execution_id, upstream_id, name) VALUES (?, ?, ?)`,
			id, d.ExecutionID, d.Name); err != nil {
			if strings.Contains(err.Error(), "FOREIGN KEY") {
				return 0, fmt.Errorf("registry: execution %s depends on execution %d, which does not exist", e.Step, d.ExecutionID)
			}
			return 0, err
		}
	}
	return id, nil
}

func (db *DB) insertEvents(ctx context.Context, tx *sql.Tx, execID int64, typ string, refs []ArtifactRef) error {
	for _, r := range refs {
		if err := r.normalize(); err != nil {
			return err
		}
		aid, err := db.upsertArtifact(ctx, tx, r)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO events (execution_id, type, artifact_id, name, path) VALUES (?, ?, ?, ?, ?)`,
			execID, typ, aid, r.Name, nullString(r.Path)); err != nil {
			return err
		}
	}
	return nil
}

const executionColumns = `id, run_id, step, kind, kind_version, cache_key, status, started_at, ended_at, error, config, outputs, warnings`

func scanExecution(sc interface{ Scan(...any) error }) (Execution, error) {
	var (
		e                                      Execution
		key, errMsg, config, outputs, warnings sql.NullString
		started, ended                         sql.NullString
	)
	if err := sc.Scan(&e.ID, &e.RunID, &e.Step, &e.Kind, &e.KindVersion, &key, &e.Status, &started, &ended,
		&errMsg, &config, &outputs, &warnings); err != nil {
		return e, err
	}
	e.CacheKey, e.Error = key.String, errMsg.String
	e.Started, e.Ended = parseTime(started), parseTime(ended)
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

// executionsWhere loads the executions matching a WHERE clause, in ID
// order, with their events and dependencies.
func executionsWhere(ctx context.Context, q queryer, where string, args ...any) ([]Execution, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+executionColumns+` FROM executions WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	var execs []Execution
	index := map[int64]int{}
	for rows.Next() {
		e, err := scanExecution(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		index[e.ID] = len(execs)
		execs = append(execs, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(execs) == 0 {
		return execs, nil
	}
	ids := make([]int64, len(execs))
	for i, e := range execs {
		ids[i] = e.ID
	}
	set := jsonIDs(ids)

	rows, err = q.QueryContext(ctx, `SELECT ev.execution_id, ev.type, ev.name, ev.path, a.digest, a.media_type, a.size, a.kind, a.uri
		FROM events ev JOIN artifacts a ON a.id = ev.artifact_id
		WHERE ev.execution_id IN (SELECT value FROM json_each(?))
		ORDER BY ev.execution_id, ev.type, ev.name, a.digest`, set)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var (
			eid       int64
			typ       string
			r         ArtifactRef
			path, uri sql.NullString
		)
		if err := rows.Scan(&eid, &typ, &r.Name, &path, &r.Digest, &r.MediaType, &r.Size, &r.Kind, &uri); err != nil {
			rows.Close()
			return nil, err
		}
		r.Path, r.URI = path.String, uri.String
		e := &execs[index[eid]]
		if typ == "used" {
			e.Used = append(e.Used, r)
		} else {
			e.Produced = append(e.Produced, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rows, err = q.QueryContext(ctx, `SELECT execution_id, upstream_id, name FROM execution_inputs
		WHERE execution_id IN (SELECT value FROM json_each(?)) ORDER BY execution_id, upstream_id, name`, set)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var eid int64
		var d Dependency
		if err := rows.Scan(&eid, &d.ExecutionID, &d.Name); err != nil {
			return nil, err
		}
		e := &execs[index[eid]]
		e.DependsOn = append(e.DependsOn, d)
	}
	return execs, rows.Err()
}

// Execution returns one execution with its events and dependencies.
func (db *DB) Execution(ctx context.Context, id int64) (*Execution, error) {
	var e *Execution
	err := db.read(ctx, func(tx queryer) error {
		es, err := executionsWhere(ctx, tx, `id = ?`, id)
		if err != nil {
			return err
		}
		if len(es) == 0 {
			return fmt.Errorf("registry: no execution %d", id)
		}
		e = &es[0]
		return nil
	})
	return e, err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
